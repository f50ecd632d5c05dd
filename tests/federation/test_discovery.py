"""How other servers find people and posts here, and what they are given when they ask.

The first part asks this process's Rostra through the Django test client, as a remote server
would (WebFinger, host-meta, NodeInfo, actors and posts by content negotiation, collections),
on an instance whose domain is ``rostra.example`` over https. The second part starts a real
server in "authorized fetch" mode and reads from it over HTTP, signed by a hand-written peer
(tests/federation/peer.py) or not at all, and has it follow and be followed by another Rostra.
"""

import re
import time
import xml.etree.ElementTree as ET
from urllib.parse import quote

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from rostra.accounts import actions as accounts
from rostra.accounts.models import User
from rostra.federation import keys, parse, signatures
from rostra.federation.actions import store_actor
from rostra.moderation import actions as moderation
from rostra.posts import actions as posts
from rostra.posts.models import PostState, Visibility
from tests.fixtures import media_root  # noqa: F401  (every test writes images to its own folder)
from tests.helpers import make_user
from tests.images import jpeg_upload, png_upload

from .peer import Peer, wait_for
from .servers import Server, eventually

AP = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
SITE = "https://rostra.example"


@pytest.fixture
def site(settings):
    """An instance at https://rostra.example, as it would be in production."""
    settings.ROSTRA_DOMAIN = "rostra.example"
    settings.ROSTRA_HTTPS = True
    return SITE


def ap(client, path, accept=AP, **headers):
    return client.get(path, headers={"Accept": accept, **headers})


def ok_json(response, content_type=AP):
    assert response.status_code == 200, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith(content_type), response["Content-Type"]
    return response.json()


def error_of(response, status):
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


def webfinger(client, resource):
    return client.get("/.well-known/webfinger", {"resource": resource} if resource is not None else {})


def link(jrd, rel):
    return next(link for link in jrd["links"] if link["rel"] == rel)


def suspend(account, days=7):
    """Suspend through the real moderation path: a report, then a moderator's decision."""
    from rostra.moderation.models import QueueItem

    reporter = make_user(f"rep{account.username}"[:30])
    mod = make_user(f"mod{account.username}"[:30], role=User.Role.MODERATOR)
    moderation.report(reporter, account=account, reason="harassment")
    moderation.decide(mod.user, QueueItem.objects.get(account=account, status="open"), "suspend", days=days)


def remote_actor(name="rina", domain="elsewhere.example"):
    """A remote account, stored as the inbox stores one (no network: the document is given)."""
    uri = f"https://{domain}/users/{name}"
    _, public_pem = signatures.generate_key_pair()
    return store_actor(
        {
            "id": uri,
            "type": "Person",
            "preferredUsername": name,
            "url": f"https://{domain}/@{name}",
            "inbox": f"{uri}/inbox",
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public_pem},
        }
    )


# --- WebFinger and host-meta ------------------------------------------------------------


@pytest.mark.parametrize(
    "resource",
    [
        "acct:alice@rostra.example",
        "acct:ALICE@Rostra.Example",
        "alice@rostra.example",  # some servers leave the acct: scheme out
        "https://rostra.example/@alice",
        "https://rostra.example/@Alice/",
    ],
)
def test_webfinger_finds_a_local_account_by_handle_and_by_profile_url(client, site, resource):
    make_user("alice")
    jrd = ok_json(webfinger(client, resource), "application/jrd+json")
    assert jrd["subject"] == "acct:alice@rostra.example"
    assert jrd["aliases"] == [f"{SITE}/@alice"]
    assert link(jrd, "self") == {"rel": "self", "type": AP, "href": f"{SITE}/@alice"}
    assert link(jrd, "http://webfinger.net/rel/profile-page") == {
        "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": f"{SITE}/@alice"}
    # What a server does next: fetch the self link and find the same actor there.
    person = ok_json(ap(client, link(jrd, "self")["href"].removeprefix(SITE)))
    assert person["id"] == link(jrd, "self")["href"] and person["preferredUsername"] == "alice"


@pytest.mark.parametrize(
    "resource, status",
    [
        ("acct:nobody@rostra.example", 404),
        ("acct:alice@elsewhere.example", 404),
        ("acct:alice@rostra.example.evil.example", 404),
        ("acct:alice@", 404),
        ("https://elsewhere.example/@alice", 404),
        ("https://rostra.example/@nobody", 404),
        ("https://rostra.example/tags/alice", 404),
        ("mailto:alice@rostra.example", 404),
        ("", 400),
        (None, 400),
    ],
)
def test_webfinger_answers_what_it_does_not_know_with_a_json_error(client, site, resource, status):
    make_user("alice")
    assert error_of(webfinger(client, resource), status)


def test_the_subscribe_template_leads_someone_signed_in_to_what_they_want_to_follow(client, site):
    """A server elsewhere sends someone from here who clicked "follow" there to this template,
    filled with what they want to follow; they land on its page here, signed in."""
    alice = make_user("alice")
    make_user("bob")
    jrd = ok_json(webfinger(client, "acct:alice@rostra.example"), "application/jrd+json")
    template = link(jrd, "http://ostatus.org/schema/1.0/subscribe")["template"]
    assert template.startswith(f"{SITE}/") and "{uri}" in template
    client.force_login(alice.user)
    response = client.get(template.replace("{uri}", quote(f"{SITE}/@bob", safe="")).removeprefix(SITE))
    assert response.status_code == 302 and response["Location"] == "/@bob"


def test_webfinger_does_not_take_a_post_url_for_its_author(client, site):
    alice = make_user("alice")
    post = posts.create_post(alice, "Not an account")
    assert error_of(webfinger(client, f"{SITE}/@alice/{post.pk}"), 404)


def test_a_suspended_account_keeps_its_handle_but_not_its_profile(client, site):
    """As in the Mastodon API (and in Mastodon's actor documents): other servers can still look
    the account up and check its key, but its name, bio and picture are not handed out."""
    rosa = make_user("rosa", display_name="Rosa Real", bio="Call me about #stuff")
    accounts.update_profile(rosa, avatar=jpeg_upload())
    post = posts.create_post(rosa, "Written before the suspension")
    assert ok_json(ap(client, f"/@rosa/{post.pk}"))["type"] == "Note"
    before = ok_json(ap(client, "/@rosa"))
    assert before["name"] == "Rosa Real" and "Call me" in before["summary"] and "icon" in before
    assert "suspended" not in before
    suspend(rosa)
    jrd = ok_json(webfinger(client, "acct:rosa@rostra.example"), "application/jrd+json")
    assert link(jrd, "self")["href"] == f"{SITE}/@rosa"
    person = ok_json(ap(client, "/@rosa"))
    assert person["suspended"] is True
    assert person["name"] == "rosa" and person["summary"] == "" and person["attachment"] == []
    assert "icon" not in person and "image" not in person
    assert person["publicKey"] == before["publicKey"]
    # Its posts and outbox are not handed out while it is suspended.
    assert error_of(ap(client, f"/@rosa/{post.pk}"), 410)
    assert error_of(ap(client, "/@rosa/outbox"), 410)


def test_a_deleted_account_is_found_nowhere(client, site):
    dora = make_user("dora")
    post = posts.create_post(dora, "Soon gone")
    assert ok_json(ap(client, "/@dora"))["id"] == f"{SITE}/@dora"
    accounts.delete_account(dora)
    assert error_of(webfinger(client, "acct:dora@rostra.example"), 404)
    assert error_of(webfinger(client, f"{SITE}/@dora"), 404)
    assert error_of(ap(client, "/@dora"), 404)
    assert error_of(ap(client, f"/@dora/{post.pk}"), 404)
    assert error_of(ap(client, "/@dora/outbox"), 404)


def test_the_instance_actor_is_found_by_webfinger_as_mastodon_checks_it(client, site):
    """Mastodon verifies an actor that signs a request by WebFinger: ``preferredUsername@host``
    must lead back to the same id. Rostra's instance actor signs every fetch nobody in
    particular asked for, so that round trip must work for it too."""
    actor = ok_json(client.get("/actor"))
    username = actor["preferredUsername"]
    jrd = ok_json(webfinger(client, f"acct:{username}@rostra.example"), "application/jrd+json")
    assert jrd["subject"] == f"acct:{username}@rostra.example"
    assert link(jrd, "self")["href"] == actor["id"] == f"{SITE}/actor"
    by_url = ok_json(webfinger(client, actor["id"]), "application/jrd+json")
    assert by_url["subject"] == jrd["subject"]


def test_host_meta_points_at_webfinger(client, site):
    make_user("alice")
    response = client.get("/.well-known/host-meta")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xrd+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "{http://docs.oasis-open.org/ns/xri/xrd-1.0}XRD"
    links = root.findall("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    template = next(link.get("template") for link in links if link.get("rel") == "lrdd")
    assert template == f"{SITE}/.well-known/webfinger?resource={{uri}}"
    # The template works as a client fills it in.
    filled = template.replace("{uri}", quote("acct:alice@rostra.example", safe="")).removeprefix(SITE)
    assert ok_json(client.get(filled), "application/jrd+json")["subject"] == "acct:alice@rostra.example"


# --- Actors ---------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [AP, LD, f"{LD}, text/html;q=0.1", "application/activity+json; charset=utf-8"])
def test_a_profile_url_gives_the_person_to_servers(client, site, accept):
    make_user("alice", display_name="Alice A.", bio="Gardener. #roses", links=[["Site", "https://alice.example/"]])
    response = ap(client, "/@alice", accept)
    person = ok_json(response)
    assert "Accept" in response["Vary"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "https://www.w3.org/ns/activitystreams" in person["@context"]
    assert person["id"] == person["url"] == f"{SITE}/@alice"
    assert person["type"] == "Person" and person["preferredUsername"] == "alice" and person["name"] == "Alice A."
    assert person["inbox"] == f"{SITE}/@alice/inbox"
    assert person["outbox"] == f"{SITE}/@alice/outbox"
    assert person["followers"] == f"{SITE}/@alice/followers"
    assert person["following"] == f"{SITE}/@alice/following"
    assert person["featured"] == f"{SITE}/@alice/featured"
    assert person["endpoints"] == {"sharedInbox": f"{SITE}/inbox"}
    assert person["manuallyApprovesFollowers"] is False
    assert 'href="https://rostra.example/tags/roses"' in person["summary"] and 'href="/' not in person["summary"]
    assert person["attachment"][0]["name"] == "Site" and "https://alice.example/" in person["attachment"][0]["value"]
    assert "icon" not in person and "movedTo" not in person and person["alsoKnownAs"] == []


def test_the_person_s_key_is_the_one_its_activities_are_signed_with(client, site):
    alice = make_user("alice")
    key = ok_json(ap(client, "/@alice"))["publicKey"]
    assert key["id"] == f"{SITE}/@alice#main-key" and key["owner"] == f"{SITE}/@alice"
    public = serialization.load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size >= 2048
    key_id, private_pem = keys.signer_for(alice)
    assert key_id == key["id"]
    signed = signatures.sign("POST", "https://elsewhere.example/inbox", key_id, private_pem, body=b"{}")
    params = signatures.parse_signature_header(signed["signature"])
    signatures.verify(params, "POST", "/inbox", signed, key["publicKeyPem"], signatures.REQUIRED_FOR_POST)
    # Asked again, the same key (not a new one per request).
    assert ok_json(ap(client, "/@alice"))["publicKey"] == key


def test_a_browser_gets_the_profile_page_and_both_are_told_to_vary_on_accept(client, site):
    make_user("alice", display_name="Alice A.")
    for accept in ("text/html,application/xhtml+xml,*/*;q=0.8", "*/*", "application/json"):
        response = client.get("/@alice", headers={"Accept": accept})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert "Accept" in response["Vary"]
        assert b"Alice A." in response.content
    assert client.get("/@alice")["Content-Type"].startswith("text/html")


def test_an_avatar_a_locked_account_and_a_move_show_in_the_person(client, site):
    alice = make_user("alice")
    accounts.update_profile(alice, avatar=jpeg_upload(size=(500, 500)), locked=True)
    person = ok_json(ap(client, "/@alice"))
    assert person["manuallyApprovesFollowers"] is True
    assert person["icon"]["type"] == "Image" and person["icon"]["mediaType"] == "image/jpeg"
    assert person["icon"]["url"].startswith(f"{SITE}/media/avatars/")

    new = make_user("alice_new")
    accounts.set_aliases(new, ["alice@rostra.example"])
    accounts.move_account(alice, "alice_new")
    assert ok_json(ap(client, "/@alice"))["movedTo"] == f"{SITE}/@alice_new"
    assert ok_json(ap(client, "/@alice_new"))["alsoKnownAs"] == [f"{SITE}/@alice"]


def test_a_remote_account_s_page_here_is_not_served_as_an_actor_of_this_server(client, site):
    remote_actor("rina", "elsewhere.example")
    assert client.get("/@rina@elsewhere.example").status_code == 200
    assert error_of(ap(client, "/@rina@elsewhere.example"), 404)
    assert error_of(ap(client, "/@nobody"), 404)


# --- Posts ----------------------------------------------------------------------------


def note_of(client, post, accept=AP):
    return ok_json(ap(client, f"/@{post.author.username}/{post.pk}", accept))


def test_a_public_post_is_a_note_with_absolute_links_tags_and_public_addressing(client, site):
    alice = make_user("alice")
    make_user("bob")
    post = posts.create_post(alice, "Roses are out @bob #Gardening https://roses.example/a", language="en")
    response = ap(client, f"/@alice/{post.pk}")
    assert "Accept" in response["Vary"]
    note = ok_json(response)
    url = f"{SITE}/@alice/{post.pk}"
    assert note["id"] == note["url"] == url
    assert note["type"] == "Note" and note["attributedTo"] == f"{SITE}/@alice"
    assert note["to"] == [PUBLIC]
    assert note["cc"] == [f"{SITE}/@alice/followers", f"{SITE}/@bob"]
    assert 'href="https://rostra.example/tags/gardening"' in note["content"]
    assert 'href="https://rostra.example/@bob"' in note["content"]
    assert 'href="https://roses.example/a"' in note["content"]
    assert 'href="/' not in note["content"]
    assert note["contentMap"] == {"en": note["content"]}
    assert note["source"] == {"content": post.text, "mediaType": "text/plain"}
    assert {"type": "Mention", "href": f"{SITE}/@bob", "name": "@bob@rostra.example"} in note["tag"]
    assert {"type": "Hashtag", "href": f"{SITE}/tags/gardening", "name": "#gardening"} in note["tag"]
    assert len(note["tag"]) == 2
    assert note["inReplyTo"] is None and note["attachment"] == [] and "quoteUri" not in note
    # The same post for the ld+json Accept; the thread page for a browser.
    assert note_of(client, post, LD) == note
    page = client.get(f"/@alice/{post.pk}")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html") and "Accept" in page["Vary"]


def test_a_mention_of_someone_elsewhere_links_to_their_own_profile(client, site):
    """Mastodon shows a mention in the app when the link in the content is the account's
    profile URL; a link to this server's copy of the profile would leave the app."""
    alice = make_user("alice")
    rina = remote_actor("rina", "elsewhere.example")
    post = posts.create_post(alice, "Thanks @rina@elsewhere.example")
    note = note_of(client, post)
    assert 'href="https://elsewhere.example/@rina"' in note["content"]
    assert "rostra.example/@rina" not in note["content"]
    assert note["tag"] == [{"type": "Mention", "href": rina.uri, "name": "@rina@elsewhere.example"}]
    assert note["cc"] == [f"{SITE}/@alice/followers", rina.uri]
    # Here, the link still opens this server's page of that account.
    assert 'href="/@rina@elsewhere.example"' in client.get(f"/@alice/{post.pk}").content.decode()


def test_each_visibility_is_addressed_as_mastodon_addresses_it_and_only_public_ones_are_served_unsigned(client, site):
    alice = make_user("alice")
    make_user("bob")
    followers = f"{SITE}/@alice/followers"
    unlisted = posts.create_post(alice, "Quietly, @bob", visibility=Visibility.UNLISTED)
    note = note_of(client, unlisted)
    assert note["to"] == [followers] and note["cc"] == [PUBLIC, f"{SITE}/@bob"]
    for visibility in (Visibility.FOLLOWERS, Visibility.DIRECT):
        hidden = posts.create_post(alice, f"Only for some, @bob ({visibility})", visibility=visibility)
        assert error_of(ap(client, f"/@alice/{hidden.pk}"), 404)
        assert error_of(ap(client, f"/@alice/{hidden.pk}", LD), 404)
        # ...which is no different from a post that does not exist.
        assert error_of(ap(client, f"/@alice/{hidden.pk + 1}"), 404) == error_of(ap(client, f"/@alice/{hidden.pk}"), 404)
        assert client.get(f"/@alice/{hidden.pk}").status_code == 404
    # What those two would say to a reader allowed to have them (delivered to followers and
    # the people mentioned), as rendered for delivery.
    from rostra.federation.tasks import _activity_for

    only_followers = posts.create_post(alice, "For followers, @bob", visibility=Visibility.FOLLOWERS)
    direct = posts.create_post(alice, "For you, @bob", visibility=Visibility.DIRECT)
    assert _activity_for(only_followers)["object"]["to"] == [followers]
    assert _activity_for(only_followers)["object"]["cc"] == [f"{SITE}/@bob"]
    assert _activity_for(direct)["object"]["to"] == [f"{SITE}/@bob"] and _activity_for(direct)["object"]["cc"] == []


def test_images_comments_and_echoes_show_as_mastodon_expects(client, site):
    alice, bob = make_user("alice"), make_user("bob")
    photo = posts.upload_media(alice, jpeg_upload(size=(320, 200)), description="A red square")
    drawing = posts.upload_media(alice, png_upload(size=(40, 30)))
    original = posts.create_post(alice, "Two pictures", media_ids=[photo.pk, drawing.pk])
    note = note_of(client, original)
    first, second = note["attachment"]
    assert first["type"] == "Document" and first["mediaType"] == "image/jpeg" and first["name"] == "A red square"
    assert (first["width"], first["height"]) == (320, 200)
    assert first["url"].startswith(f"{SITE}/media/") and first["url"].endswith(".jpg")
    assert first["blurhash"] and isinstance(first["blurhash"], str)
    assert second["mediaType"] == "image/png" and second["url"].endswith(".png") and second["name"] is None

    comment = posts.create_post(bob, "Lovely", in_reply_to=original)
    reply = note_of(client, comment)
    assert reply["inReplyTo"] == f"{SITE}/@alice/{original.pk}" and reply["attributedTo"] == f"{SITE}/@bob"
    assert f"{SITE}/@alice" in reply["cc"]

    quote_post = posts.echo(bob, original, "Look at these")
    quoted = note_of(client, quote_post)
    assert quoted["type"] == "Note" and "Look at these" in quoted["content"]
    assert quoted["quoteUri"] == quoted["_misskey_quote"] == f"{SITE}/@alice/{original.pk}"

    plain = posts.echo(bob, original)
    announce = ok_json(ap(client, f"/@bob/{plain.pk}"))
    assert announce["type"] == "Announce" and announce["actor"] == f"{SITE}/@bob"
    assert announce["object"] == f"{SITE}/@alice/{original.pk}"
    assert announce["to"] == [PUBLIC] and f"{SITE}/@alice" in announce["cc"]
    assert "https://www.w3.org/ns/activitystreams" in announce["@context"]


def test_held_and_rejected_posts_and_wrong_addresses_are_not_found(client, site):
    admin, alice = make_user("boss", role=User.Role.ADMIN), make_user("alice")
    moderation.add_rule(admin.user, "keyword", "pillz", "hold", "spam")
    moderation.add_rule(admin.user, "keyword", "casino", "reject", "spam")
    held = posts.create_post(alice, "cheap pillz here")
    rejected = posts.create_post(alice, "best casino in town")
    assert (held.state, rejected.state) == (PostState.HELD, PostState.REJECTED)
    for post in (held, rejected):
        assert error_of(ap(client, f"/@alice/{post.pk}"), 404)
    fine = posts.create_post(alice, "fine words")
    make_user("bob")
    assert error_of(ap(client, f"/@bob/{fine.pk}"), 404)  # someone else's name in the path
    assert error_of(ap(client, "/@alice/99999999999999999999"), 404)  # beyond any 64-bit id
    assert client.get("/@alice/99999999999999999999").status_code == 404
    # Once a moderator approves it, the held post is served like any other.
    posts.publish(held)
    assert note_of(client, held)["id"] == f"{SITE}/@alice/{held.pk}"


# --- Collections ------------------------------------------------------------------------


def page_path(url):
    assert url.startswith(SITE), url
    return url.removeprefix(SITE)


def test_the_outbox_lists_public_and_unlisted_posts_newest_first_in_pages(client, site):
    alice, bob = make_user("alice"), make_user("bob")
    written = []
    for n in range(22):
        written.append(posts.create_post(alice, f"public number {n}"))
        time.sleep(0.002)  # ids made in one millisecond have random tails
    written.append(posts.create_post(alice, "unlisted one", visibility=Visibility.UNLISTED))
    time.sleep(0.002)
    others = posts.create_post(bob, "bob's own")
    written.append(posts.echo(alice, others))
    posts.create_post(alice, "followers only", visibility=Visibility.FOLLOWERS)
    posts.create_post(alice, "direct to @bob", visibility=Visibility.DIRECT)
    outbox = ok_json(ap(client, "/@alice/outbox"))
    assert outbox["id"] == f"{SITE}/@alice/outbox" and outbox["type"] == "OrderedCollection"
    assert outbox["totalItems"] == len(written) == 24
    assert "orderedItems" not in outbox
    first = ok_json(ap(client, page_path(outbox["first"])))
    assert first["type"] == "OrderedCollectionPage" and first["partOf"] == outbox["id"]
    assert len(first["orderedItems"]) == 20
    second = ok_json(ap(client, page_path(first["next"])))
    assert "next" not in second
    items = first["orderedItems"] + second["orderedItems"]
    assert [i["id"] for i in items] == [f"{SITE}/@alice/{p.pk}/activity" for p in reversed(written)]
    assert [i["object"]["id"] for i in items[1:]] == [f"{SITE}/@alice/{p.pk}" for p in reversed(written[:-1])]
    assert items[0]["type"] == "Announce" and items[0]["object"] == f"{SITE}/@bob/{others.pk}"
    assert {i["type"] for i in items[1:]} == {"Create"}
    assert all("@context" not in i and i["actor"] == f"{SITE}/@alice" for i in items)
    assert items[1]["object"]["content"] == "<p>unlisted one</p>" and items[1]["object"]["to"] == [f"{SITE}/@alice/followers"]
    assert items[-1]["object"]["content"] == "<p>public number 0</p>"
    # Another account's outbox has only its own posts.
    assert ok_json(ap(client, "/@bob/outbox"))["totalItems"] == 1


def test_followers_following_and_featured_collections(client, site):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    accounts.follow(bob, alice)
    accounts.follow(carol, alice)
    accounts.follow(alice, bob)
    followers = ok_json(ap(client, "/@alice/followers"))
    assert followers["id"] == f"{SITE}/@alice/followers" and followers["totalItems"] == 2
    page = ok_json(ap(client, page_path(followers["first"])))
    assert sorted(page["orderedItems"]) == [f"{SITE}/@bob", f"{SITE}/@carol"]
    following = ok_json(ap(client, "/@alice/following"))
    assert following["totalItems"] == 1
    assert ok_json(ap(client, page_path(following["first"])))["orderedItems"] == [f"{SITE}/@bob"]
    assert ok_json(ap(client, "/@carol/followers"))["totalItems"] == 0
    accounts.unfollow(carol, alice)
    followers = ok_json(ap(client, "/@alice/followers"))
    assert followers["totalItems"] == 1
    assert ok_json(ap(client, page_path(followers["first"])))["orderedItems"] == [f"{SITE}/@bob"]
    # A browser gets the page listing them.
    assert client.get("/@alice/followers")["Content-Type"].startswith("text/html")
    featured = ok_json(ap(client, "/@alice/featured"))
    assert featured == {**featured, "id": f"{SITE}/@alice/featured", "type": "OrderedCollection", "totalItems": 0,
                        "orderedItems": []}
    assert error_of(ap(client, "/@nobody/followers"), 404)


def test_the_instance_actor(client, site):
    response = client.get("/actor", headers={"Accept": AP})
    actor = ok_json(response)
    assert actor["id"] == f"{SITE}/actor" and actor["type"] == "Application"
    assert actor["inbox"] == f"{SITE}/inbox" and actor["endpoints"]["sharedInbox"] == f"{SITE}/inbox"
    key = actor["publicKey"]
    assert key["id"] == f"{SITE}/actor#main-key" and key["owner"] == actor["id"]
    assert isinstance(serialization.load_pem_public_key(key["publicKeyPem"].encode()), rsa.RSAPublicKey)
    # The key that signs fetches nobody in particular asked for is this one.
    key_id, private_pem = keys.instance_signer()
    assert key_id == key["id"]
    signature = serialization.load_pem_private_key(private_pem.encode(), None).sign(b"x", padding.PKCS1v15(), hashes.SHA256())
    serialization.load_pem_public_key(key["publicKeyPem"].encode()).verify(signature, b"x", padding.PKCS1v15(), hashes.SHA256())


# --- NodeInfo ---------------------------------------------------------------------------


def test_nodeinfo_counts_real_people_and_local_posts(client, site):
    links = client.get("/.well-known/nodeinfo").json()["links"]
    href = next(li["href"] for li in links if li["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.0")
    assert href.endswith("/nodeinfo/2.0")
    path = "/" + href.split("://", 1)[1].split("/", 1)[1]

    def usage():
        response = client.get(path)
        assert response.status_code == 200 and "nodeinfo.diaspora.software/ns/schema/2.0" in response["Content-Type"]
        info = response.json()
        assert info["version"] == "2.0" and info["protocols"] == ["activitypub"] and info["software"]["name"] == "rostra"
        return info["usage"]["users"]["total"], info["usage"]["localPosts"]

    users, local_posts = usage()
    alice, bob = make_user("alice"), make_user("bob")
    assert usage() == (users + 2, local_posts)
    for n in range(3):
        posts.create_post(alice, f"post {n}")
    posts.create_post(bob, "and one from bob")
    assert usage() == (users + 2, local_posts + 4)
    remote_actor("rina", "elsewhere.example")  # someone elsewhere is no user here
    assert usage() == (users + 2, local_posts + 4)
    accounts.delete_account(bob)
    assert usage() == (users + 1, local_posts + 3)


# --- Authorized fetch, on a real server -------------------------------------------------


@pytest.fixture(scope="module")
def guarded(fed_databases):
    """A real Rostra in "authorized fetch" mode (its own database, its own process)."""
    server = Server("authz", fed_databases, extra_env={"ROSTRA_AUTHORIZED_FETCH": "1"})
    try:
        yield server.start()
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def peer():
    peer = Peer()
    yield peer
    peer.close()


@pytest.fixture(scope="module")
def writer(guarded, peer):
    """Someone on the guarded server with a public, a followers-only and a direct post (the
    direct one mentions the peer's ``af_reader``)."""
    peer.actor("af_reader")
    person = guarded.sign_up("af_writer")
    person.public = person.post_status("Out in the open")
    person.followers_only = person.post_status("Only for my followers", visibility="private")
    person.direct = person.post_status(f"@af_reader@{peer.domain} just for you", visibility="direct")
    assert person.direct["mentions"] and person.direct["mentions"][0]["acct"] == f"af_reader@{peer.domain}"
    return person


def signed_get(url, signer, accept=AP):
    key_id, pem = signer
    return httpx.get(url, headers=signatures.sign("GET", url, key_id, pem, headers={"Accept": accept}), timeout=20)


def follow_from_peer(peer, fan, actor):
    """``fan`` (on the peer) follows ``actor``; returns once the Accept has come back."""
    follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{fan.uri}#follows/1", "type": "Follow",
              "actor": fan.uri, "object": actor}
    assert peer.deliver(f"{actor}/inbox", follow, fan).status_code == 202
    accepted = wait_for(lambda: any(
        a.get("type") == "Accept" and parse.id_of(a.get("object")) == follow["id"] for _, _, a in peer.received))
    assert accepted, f"no Accept for {follow['id']}: {peer.received}"


def test_without_authorized_fetch_a_signature_still_opens_a_followers_only_post_to_followers_only(servers, peer):
    """On an ordinary server public posts need no signature, but a followers-only one is
    served to a signed request from a follower (its server fetching what it was not sent)."""
    a = servers("a")
    owner = a.sign_up("open_owner")
    fan, stranger = peer.actor("open_fan"), peer.actor("open_stranger")
    follow_from_peer(peer, fan, a.actor_uri("open_owner"))
    public = owner.post_status("Open to all on an open server")["uri"]
    private = owner.post_status("Followers only on an open server", visibility="private")["uri"]
    assert httpx.get(public, headers={"Accept": AP}, timeout=20).status_code == 200
    assert httpx.get(f"{a.actor_uri('open_owner')}/outbox", headers={"Accept": AP}, timeout=20).json()["totalItems"] == 1
    assert httpx.get(private, headers={"Accept": AP}, timeout=20).status_code == 404
    served = signed_get(private, fan.signer)
    assert served.status_code == 200 and "Followers only" in served.json()["content"]
    assert signed_get(private, stranger.signer).status_code == 404
    wrong_pem, _ = signatures.generate_key_pair()
    assert signed_get(private, (fan.key_id, wrong_pem)).status_code == 401


def test_authorized_fetch_refuses_unsigned_reads_of_posts_and_collections(guarded, writer):
    actor = guarded.actor_uri("af_writer")
    for url in (writer.public["uri"], f"{actor}/outbox", f"{actor}/outbox?page=true", f"{actor}/followers",
                f"{actor}/following", f"{actor}/featured"):
        response = httpx.get(url, headers={"Accept": AP}, timeout=20)
        assert response.status_code == 401, (url, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/json")
        assert "signed" in response.json()["error"]
    # Other servers need the actor (and its key) to check this server's own signatures.
    person = httpx.get(actor, headers={"Accept": AP}, timeout=20)
    assert person.status_code == 200 and person.json()["publicKey"]["owner"] == actor
    assert httpx.get(f"{guarded.url}/actor", timeout=20).json()["type"] == "Application"
    finger = httpx.get(f"{guarded.url}/.well-known/webfinger", params={"resource": f"acct:af_writer@{guarded.domain}"})
    assert finger.status_code == 200 and link(finger.json(), "self")["href"] == actor
    # People still read the public post's page.
    page = httpx.get(writer.public["uri"], timeout=20)
    assert page.status_code == 200 and "Out in the open" in page.text


def test_a_read_signed_by_another_server_s_actor_is_served(guarded, writer, peer):
    reader = peer.actor("af_signer")
    note = signed_get(writer.public["uri"], reader.signer)
    assert note.status_code == 200, note.text
    assert note.json()["id"] == writer.public["uri"] and "Out in the open" in note.json()["content"]
    # The key was fetched from the signer's own server to check the signature.
    assert any(path == "/users/af_signer" for path, _ in peer.fetches)
    outbox = signed_get(f"{guarded.actor_uri('af_writer')}/outbox", reader.signer)
    assert outbox.status_code == 200 and outbox.json()["totalItems"] == 1
    page = signed_get(outbox.json()["first"], reader.signer)
    assert [item["object"]["id"] for item in page.json()["orderedItems"]] == [writer.public["uri"]]


def test_a_read_signed_with_the_wrong_key_or_for_another_url_is_refused(guarded, writer, peer):
    forger = peer.actor("af_forger")
    wrong_pem, _ = signatures.generate_key_pair()
    # At first contact (the key is fetched and does not match)...
    first = signed_get(writer.public["uri"], (forger.key_id, wrong_pem))
    assert first.status_code == 401 and "does not match" in first.json()["error"]
    # ...and once the key is known (a good read first).
    assert signed_get(writer.public["uri"], forger.signer).status_code == 200
    known = signed_get(writer.public["uri"], (forger.key_id, wrong_pem))
    assert known.status_code == 401 and "does not match" in known.json()["error"]
    # A signature made for one URL does not open another.
    outbox = f"{guarded.actor_uri('af_writer')}/outbox"
    headers = signatures.sign("GET", outbox, *forger.signer, headers={"Accept": AP})
    replayed = httpx.get(writer.public["uri"], headers=headers, timeout=20)
    assert replayed.status_code == 401 and "does not match" in replayed.json()["error"]


def test_followers_only_and_direct_posts_are_served_only_to_their_readers(guarded, writer, peer):
    fan, stranger = peer.actor("af_fan"), peer.actor("af_stranger")
    reader = peer.actors["af_reader"]
    actor = guarded.actor_uri("af_writer")
    follow_from_peer(peer, fan, actor)
    followers = signed_get(f"{actor}/followers", fan.signer).json()
    assert followers["totalItems"] == 1
    assert signed_get(followers["first"], fan.signer).json()["orderedItems"] == [fan.uri]

    only_followers = writer.followers_only["uri"]
    served = signed_get(only_followers, fan.signer)
    assert served.status_code == 200 and served.json()["to"] == [f"{actor}/followers"]
    assert signed_get(only_followers, stranger.signer).status_code == 404
    assert signed_get(only_followers, reader.signer).status_code == 404
    direct = writer.direct["uri"]
    served = signed_get(direct, reader.signer)
    assert served.status_code == 200 and served.json()["to"] == [reader.uri]
    assert signed_get(direct, fan.signer).status_code == 404
    assert signed_get(direct, stranger.signer).status_code == 404
    for url in (only_followers, direct):
        assert httpx.get(url, headers={"Accept": AP}, timeout=20).status_code == 401


def test_reads_and_activities_from_a_blocked_server_are_refused(guarded, writer, peer):
    other = Peer("blocked")
    try:
        outsider = other.actor("af_outsider")
        assert signed_get(writer.public["uri"], outsider.signer).status_code == 200
        admin = guarded.create_admin("af_admin")
        page = admin.get("/moderation/servers")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        done = admin.post("/moderation/servers", data={"csrfmiddlewaretoken": csrf, "what": "block", "domain": other.domain,
                                                       "severity": "suspend", "public_comment": "test"})
        assert done.status_code == 302, done.text
        refused = signed_get(writer.public["uri"], outsider.signer)
        assert refused.status_code == 401 and "refused" in refused.json()["error"]
        assert signed_get(f"{guarded.actor_uri('af_writer')}/outbox", outsider.signer).status_code == 401
        note = other.note(outsider, "from a blocked server", 1)
        assert other.deliver(f"{guarded.url}/inbox", other.create(outsider, note), outsider).status_code == 403
        # Only that server: the peer on another port is still served.
        assert signed_get(writer.public["uri"], peer.actor("af_neighbour").signer).status_code == 200
    finally:
        other.close()


def test_an_authorized_fetch_server_and_an_open_one_follow_each_other_and_exchange_posts(guarded, servers):
    b = servers("b")
    gina, bert = guarded.sign_up("af_gina"), b.sign_up("af_bert")

    def following(person, handle):
        account = person.find(handle)
        return person.ok(person.get("/api/v1/accounts/relationships", params={"id[]": account["id"]}))[0]["following"]

    def in_home(person, text):
        return eventually(lambda: next((s for s in person.home() if text in s["content"]), None),
                          message=f"{text!r} never reached {person.handle}")

    bert.follow(gina.handle)
    eventually(lambda: following(bert, gina.handle), message="the guarded server's Accept never arrived")
    gina.follow(bert.handle)
    eventually(lambda: following(gina, bert.handle), message="the open server's Accept never arrived")

    gina.post_status("Hello from behind authorized fetch")
    gina.post_status("Followers only, from behind authorized fetch", visibility="private")
    bert.post_status("Hello from the open server")
    in_home(bert, "Hello from behind authorized fetch")
    in_home(bert, "Followers only, from behind authorized fetch")
    in_home(gina, "Hello from the open server")



def test_someone_follows_a_person_elsewhere_through_their_own_server_s_subscribe_template(servers):
    """The "remote follow" story: on b's page of Ben, Ann (whose account is on a) gives her
    handle; b asks a's WebFinger for Ann's subscribe template and sends her browser there, filled
    with Ben's id. Signed in on a, she lands on Ben's profile and follows him from there."""
    import re

    a, b = servers("a"), servers("b")
    a.sign_up("sub_ann")
    b.sign_up("sub_ben")
    jrd = httpx.get(f"{a.url}/.well-known/webfinger", params={"resource": f"acct:sub_ann@{a.domain}"}, timeout=20).json()
    template = link(jrd, "http://ostatus.org/schema/1.0/subscribe")["template"]
    web = a.web_login("sub_ann")
    landed = web.get(template.replace("{uri}", quote(b.actor_uri("sub_ben"), safe="")))
    assert landed.status_code == 302 and landed.headers["location"] == f"/@sub_ben@{b.domain}", landed.text[:300]
    profile = web.get(landed.headers["location"])
    assert profile.status_code == 200 and f'action="/@sub_ben@{b.domain}/follow"' in profile.text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', profile.text).group(1)
    assert web.post(f"/@sub_ben@{b.domain}/follow", data={"csrfmiddlewaretoken": csrf}).status_code in (302, 303)
    ben = b.as_user("sub_ben")
    eventually(lambda: ben.ok(ben.get("/api/v1/accounts/verify_credentials"))["followers_count"] == 1,
               message="the Follow never reached b")
