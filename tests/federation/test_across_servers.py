"""Two and three Rostra servers, each its own instance, on loopback: what people on one side do,
people on the other side see.

Every step goes through the Mastodon API or the web pages of a real server; activities travel
as signed HTTP between the servers' own processes and are delivered by their task workers.
"""

import re

from tests.helpers import PASSWORD

from .servers import eventually


def _status_on(person, text):
    """The status with ``text`` in the person's home timeline, once it has arrived."""
    return eventually(
        lambda: next((s for s in person.home() if text in s["content"]), None),
        message=f"{text!r} never reached {person.handle}'s home timeline",
    )


def _following(person, handle):
    account = person.find(handle)
    rel = person.ok(person.get("/api/v1/accounts/relationships", params={"id[]": account["id"]}))[0]
    return rel["following"]


def _follow_and_wait(person, handle):
    person.follow(handle)
    eventually(lambda: _following(person, handle), message=f"{person.handle} never came to follow {handle}")


def test_a_follow_across_servers_is_accepted_and_counted_on_both_sides(a, b):
    alice, bob = a.sign_up("fol_alice"), b.sign_up("fol_bob")
    answer = bob.follow(alice.handle)
    # Following someone elsewhere waits for their server's Accept.
    assert answer["requested"] or answer["following"]
    eventually(lambda: _following(bob, alice.handle), message="the Accept never arrived")
    me = alice.ok(alice.get("/api/v1/accounts/verify_credentials"))
    followers = alice.ok(alice.get(f"/api/v1/accounts/{me['id']}/followers"))
    assert [f["acct"] for f in followers] == [bob.handle]
    assert me["followers_count"] == 1
    notes = alice.notifications()
    assert any(n["type"] == "follow" and n["account"]["acct"] == bob.handle for n in notes)
    # Each server now lists the other among its peers.
    assert b.domain in alice.ok(alice.get("/api/v1/instance/peers"))
    assert a.domain in bob.ok(bob.get("/api/v1/instance/peers"))

    bob.ok(bob.post(f"/api/v1/accounts/{bob.find(alice.handle)['id']}/unfollow"))
    eventually(
        lambda: alice.ok(alice.get("/api/v1/accounts/verify_credentials"))["followers_count"] == 0,
        message="the Undo Follow never arrived",
    )


def test_posts_replies_votes_echoes_edits_and_deletes_reach_the_other_side(a, b):
    alice, bob = a.sign_up("life_alice"), b.sign_up("life_bob")
    _follow_and_wait(bob, alice.handle)

    mine = alice.post_status("The library opens at nine tomorrow #readers")
    there = _status_on(bob, "The library opens at nine")
    assert there["account"]["acct"] == alice.handle
    assert there["uri"] == mine["uri"]
    assert [t["name"] for t in there["tags"]] == ["readers"]

    # Bob answers on his server; Alice sees the answer under her post and is told.
    reply = bob.post_status(f"@{alice.handle} I will be there", in_reply_to_id=there["id"])
    assert reply["in_reply_to_id"] == there["id"]
    context = eventually(
        lambda: alice.ok(alice.get(f"/api/v1/statuses/{mine['id']}/context"))["descendants"],
        message="the reply never arrived",
    )
    assert "I will be there" in context[0]["content"] and context[0]["account"]["acct"] == bob.handle
    eventually(
        lambda: any(n["type"] == "mention" and n["status"]["id"] == context[0]["id"] for n in alice.notifications()),
        message="Alice was not told of the reply",
    )

    # A vote and an echo from the other server count on the original and notify its author.
    bob.ok(bob.post(f"/api/v1/statuses/{there['id']}/favourite"))
    bob.ok(bob.post(f"/api/v1/statuses/{there['id']}/reblog"))
    counted = eventually(
        lambda: (s := alice.ok(alice.get(f"/api/v1/statuses/{mine['id']}")))["favourites_count"] == 1
        and s["reblogs_count"] == 1
        and s,
        message="the Like and the Announce never counted",
    )
    assert counted["replies_count"] == 1
    eventually(
        lambda: {"favourite", "reblog", "mention"} <= {n["type"] for n in alice.notifications() if n["account"]["acct"] == bob.handle},
        message="Alice was not told of the vote and the echo",
    )
    bob.ok(bob.post(f"/api/v1/statuses/{there['id']}/unfavourite"))
    eventually(
        lambda: alice.ok(alice.get(f"/api/v1/statuses/{mine['id']}"))["favourites_count"] == 0,
        message="the Undo Like never arrived",
    )

    # An edit replaces the words on the other side, with history.
    alice.ok(alice.put(f"/api/v1/statuses/{mine['id']}", data={"status": "The library opens at ten tomorrow #readers"}))
    eventually(
        lambda: "opens at ten" in bob.ok(bob.get(f"/api/v1/statuses/{there['id']}"))["content"],
        message="the Update never arrived",
    )
    history = bob.ok(bob.get(f"/api/v1/statuses/{there['id']}/history"))
    assert "opens at nine" in history[0]["content"]

    # A delete deletes there too: the post, and Bob's echo of it, are gone.
    alice.ok(alice.delete(f"/api/v1/statuses/{mine['id']}"))
    eventually(lambda: bob.get(f"/api/v1/statuses/{there['id']}").status_code == 404, message="the Delete never arrived")
    assert not [s for s in bob.home() if "library opens" in (s.get("content") or "") or (s.get("reblog") or {}).get("id") == there["id"]]


def test_a_locked_account_approves_a_request_from_another_server_and_followers_only_posts_reach_only_followers(a, b):
    carol = a.sign_up("lock_carol")
    dave, erin = b.sign_up("lock_dave"), b.sign_up("lock_erin")
    carol.ok(carol.patch("/api/v1/accounts/update_credentials", data={"locked": "true"}))
    answer = dave.follow(carol.handle)
    assert answer["requested"] and not answer["following"]
    requests = eventually(lambda: carol.ok(carol.get("/api/v1/follow_requests")), message="the request never arrived")
    assert [r["acct"] for r in requests] == [dave.handle]
    assert not _following(dave, carol.handle)
    carol.ok(carol.post(f"/api/v1/follow_requests/{requests[0]['id']}/authorize"))
    eventually(lambda: _following(dave, carol.handle), message="the Accept never arrived")

    # Erin, on the same server as Dave but not a follower, is watching Carol's profile.
    erin.find(carol.handle)
    carol.post_status("Only for the people I let in", visibility="private")
    carol.post_status("For everyone, after the private one")
    _status_on(dave, "For everyone, after the private one")
    assert [s for s in dave.home() if "Only for the people I let in" in s["content"]]
    # The followers-only post is stored on b (for Dave) but b never shows it to Erin.
    carol_on_b = erin.find(carol.handle)
    seen_by_erin = erin.ok(erin.get(f"/api/v1/accounts/{carol_on_b['id']}/statuses"))
    assert not [s for s in seen_by_erin if "Only for the people" in s["content"]]
    search = erin.ok(erin.get("/api/v2/search", params={"q": "people I let in", "type": "statuses"}))
    assert search["statuses"] == []


def test_a_rejected_request_leaves_nothing_behind(a, b):
    gail = a.sign_up("rej_gail")
    hugo = b.sign_up("rej_hugo")
    gail.ok(gail.patch("/api/v1/accounts/update_credentials", data={"locked": "true"}))
    hugo.follow(gail.handle)
    requests = eventually(lambda: gail.ok(gail.get("/api/v1/follow_requests")), message="no request")
    gail.ok(gail.post(f"/api/v1/follow_requests/{requests[0]['id']}/reject"))
    eventually(
        lambda: not hugo.ok(hugo.get("/api/v1/accounts/relationships", params={"id[]": hugo.find(gail.handle)["id"]}))[0]["requested"],
        message="the Reject never arrived",
    )
    assert not _following(hugo, gail.handle)


def test_a_block_across_servers_ends_the_follow_and_stops_posts(a, b):
    ivy = a.sign_up("blk_ivy")
    jack = b.sign_up("blk_jack")
    _follow_and_wait(jack, ivy.handle)
    jack_on_a = ivy.find(jack.handle)
    ivy.ok(ivy.post(f"/api/v1/accounts/{jack_on_a['id']}/block"))
    eventually(lambda: not _following(jack, ivy.handle), message="the Block never ended Jack's follow on b")
    ivy.post_status("After the block, nothing for Jack")
    ivy.post_status("A marker to wait for")
    # Nothing is delivered to b any more; give the worker time to have done it if it would.
    import time

    time.sleep(1.5)
    assert not [s for s in jack.home() if "nothing for Jack" in s["content"]]
    # Jack cannot follow again while blocked.
    answer = jack.post(f"/api/v1/accounts/{jack.find(ivy.handle)['id']}/follow")
    time.sleep(1.0)
    assert not _following(jack, ivy.handle), answer.text


def test_an_echo_from_a_third_server_reaches_followers_of_the_echoer(a, b, c):
    kate = a.sign_up("echo_kate")
    liam = b.sign_up("echo_liam")
    mia = c.sign_up("echo_mia")
    _follow_and_wait(liam, kate.handle)
    _follow_and_wait(mia, liam.handle)
    kate.post_status("Photos from the harbour festival")
    on_b = _status_on(liam, "harbour festival")
    liam.ok(liam.post(f"/api/v1/statuses/{on_b['id']}/reblog"))
    # Mia on c does not follow Kate, but sees Liam's echo of Kate's post, fetched from a.
    echoed = eventually(
        lambda: next((s for s in mia.home() if s.get("reblog") and "harbour festival" in s["reblog"]["content"]), None),
        message="the echo never reached the third server",
    )
    assert echoed["account"]["acct"] == liam.handle
    assert echoed["reblog"]["account"]["acct"] == kate.handle


def test_a_report_is_forwarded_to_the_other_server_s_moderators(a, b):
    nina = a.sign_up("rep_nina")
    otto = b.sign_up("rep_otto")
    _follow_and_wait(nina, otto.handle)
    otto.post_status("Something Nina will report")
    there = _status_on(nina, "Something Nina will report")
    otto_on_a = nina.find(otto.handle)
    report = nina.ok(
        nina.post(
            "/api/v1/reports",
            data={"account_id": otto_on_a["id"], "status_ids[]": there["id"], "comment": "spam from over there", "forward": "true", "category": "spam"},
        )
    )
    assert report["forwarded"] is True
    moderator = b.create_admin("rep_mod_b")
    queue = eventually(
        lambda: (page := moderator.get("/moderation")).status_code == 200 and "Something Nina will report" in page.text and page.text,
        message=f"the forwarded report never reached b's queue; b's log: {b.log()[-3000:]}",
    )
    item = moderator.get(re.search(r'href="(/moderation/items/\d+)"', queue).group(1)).text
    assert "spam from over there" in item and a.domain in item
    # The reporter's name never leaves a: the report came from a's instance actor.
    assert "rep_nina" not in item


def test_moving_an_account_moves_its_followers_on_every_server(a, b, c):
    old = a.sign_up("move_old")
    new = b.sign_up("move_new")
    near = a.sign_up("move_near")  # follows from the old account's own server
    far = c.sign_up("move_far")  # follows from a third server
    _follow_and_wait(near, old.handle)
    _follow_and_wait(far, old.handle)

    # Step one: the new account names the old one as itself.
    web_new = b.web_login("move_new")
    page = web_new.get("/settings/moving")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    saved = web_new.post("/settings/moving", data={"csrfmiddlewaretoken": csrf, "what": "aliases", "aliases": old.handle})
    assert saved.status_code == 302, saved.text

    # Step two: the old account moves.
    web_old = a.web_login("move_old")
    page = web_old.get("/settings/moving")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    moved = web_old.post("/settings/moving", data={"csrfmiddlewaretoken": csrf, "what": "move", "target": new.handle})
    assert moved.status_code == 302 and "moved=1" in moved.headers["location"], moved.text

    eventually(lambda: _following(near, new.handle), message="the follower on a never moved")
    eventually(lambda: _following(far, new.handle), message="the follower on c never moved")
    assert not _following(far, old.handle)
    assert not _following(near, old.handle)
    me = new.ok(new.get("/api/v1/accounts/verify_credentials"))
    assert sorted(f["acct"] for f in new.ok(new.get(f"/api/v1/accounts/{me['id']}/followers"))) == sorted([near.handle, far.handle])


def test_a_move_without_the_alias_is_refused(a, b):
    thief = a.sign_up("move_thief")
    victim = b.sign_up("move_victim")
    web = a.web_login("move_thief")
    page = web.get("/settings/moving")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    refused = web.post("/settings/moving", data={"csrfmiddlewaretoken": csrf, "what": "move", "target": victim.handle})
    assert refused.status_code == 422
    assert "aliases" in refused.text
    assert thief.handle and PASSWORD


def test_suspending_a_server_removes_its_accounts_and_refuses_its_activities(a, c):
    pia = a.sign_up("dom_pia")
    quinn = c.sign_up("dom_quinn")
    _follow_and_wait(pia, quinn.handle)
    quinn.post_status("Before the suspension")
    _status_on(pia, "Before the suspension")
    admin = a.create_admin("dom_admin_a")
    page = admin.get("/moderation/servers")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    done = admin.post(
        "/moderation/servers",
        data={"csrfmiddlewaretoken": csrf, "what": "block", "domain": c.domain, "severity": "suspend", "public_comment": "spam"},
    )
    assert done.status_code == 302, done.text
    eventually(lambda: not [s for s in pia.home() if "Before the suspension" in s["content"]], message="c's posts stayed")
    found = pia.ok(pia.get("/api/v2/search", params={"q": quinn.handle, "resolve": "true", "type": "accounts"}))
    assert found["accounts"] == []
    quinn.post_status("After the suspension")
    import time

    time.sleep(1.5)
    assert not [s for s in pia.home() if "After the suspension" in s["content"]]
    csv_text = admin.get("/moderation/servers.csv").text
    assert csv_text.splitlines()[0] == "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"
    assert f"{c.domain},suspend,false,false,spam,false" in csv_text
    # Unblocked again, so the other tests can use c.
    admin.post("/moderation/servers", data={"csrfmiddlewaretoken": csrf, "what": "unblock", "domain": c.domain})


def test_a_remote_post_is_found_by_its_url(a, b):
    rita = a.sign_up("url_rita")
    sam = b.sign_up("url_sam")
    post = rita.post_status("Findable by its address")
    found = sam.ok(sam.get("/api/v2/search", params={"q": post["url"], "resolve": "true", "type": "statuses"}))
    assert [s["content"] for s in found["statuses"]] and "Findable by its address" in found["statuses"][0]["content"]
    assert found["statuses"][0]["account"]["acct"] == rita.handle
