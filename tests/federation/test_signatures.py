"""Every POST to an inbox must be signed by its actor's key, over its own body, now.

A hand-written peer (tests/federation/peer.py) serves its actors' keys on loopback and sends
activities to a real Rostra server, some of them forged, replayed or tampered with. Refused
ones must change nothing: after each, a valid activity is sent and waited for, and the refused
one's words must not be anywhere.
"""

import pytest

from .peer import Peer, old, wait_for

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture(scope="module")
def peer():
    peer = Peer()
    yield peer
    peer.close()


@pytest.fixture(scope="module")
def reader(servers):
    return servers("a").sign_up("sig_reader")


def _found(reader, text):
    found = reader.ok(reader.get("/api/v2/search", params={"q": text, "type": "statuses"}))["statuses"]
    return [s for s in found if text in s["content"]]


def _arrives(reader, text):
    assert wait_for(lambda: _found(reader, text)), f"{text!r} was never stored"


def _known(reader, peer, actor, inbox):
    """Make the actor's key known here (a valid first post, waited for): from then on the inbox
    checks its signatures while the request waits, and answers 401 itself."""
    text = f"first words of {actor.name}"
    assert peer.deliver(inbox, peer.create(actor, peer.note(actor, text, 100)), actor).status_code == 202
    _arrives(reader, text)


def _never_stored(reader, peer, actor, text, inbox, number):
    """Send a valid marker after the refused activity; once it is stored, the refused one is not."""
    marker = f"marker {number} of {actor.name}"
    response = peer.deliver(inbox, peer.create(actor, peer.note(actor, marker, number)), actor)
    assert response.status_code == 202, response.text
    _arrives(reader, marker)
    assert _found(reader, text) == []


def test_a_signed_create_is_stored_and_the_same_activity_again_changes_nothing(servers, peer, reader):
    a = servers("a")
    actor = peer.actor("sig_valid")
    activity = peer.create(actor, peer.note(actor, "signed and sound", 1))
    first = peer.deliver(f"{a.url}/inbox", activity, actor)
    assert first.status_code == 202, first.text
    _arrives(reader, "signed and sound")
    again = peer.deliver(f"{a.url}/inbox", activity, actor)
    assert again.status_code == 202 and again.json()["status"] == "already received"
    import time

    time.sleep(1)
    assert len(_found(reader, "signed and sound")) == 1


def test_a_forged_signature_is_refused(servers, peer, reader):
    a = servers("a")
    actor = peer.actor("sig_forged")
    from rostra.federation.signatures import generate_key_pair

    wrong_pem, _ = generate_key_pair()
    _known(reader, peer, actor, f"{a.url}/inbox")
    activity = peer.create(actor, peer.note(actor, "forged words", 1))
    response = peer.deliver(f"{a.url}/inbox", activity, actor, signer=(actor.key_id, wrong_pem))
    assert response.status_code == 401
    assert "does not match" in response.json()["error"]
    _never_stored(reader, peer, actor, "forged words", f"{a.url}/inbox", 2)


def test_a_forged_first_contact_is_checked_by_the_queue_and_refused_there(servers, peer, reader):
    """A sender whose key is not stored yet gets 202 at once (its key is fetched by the inbox
    queue, not while it waits), but a forged activity is refused there and changes nothing."""
    a = servers("a")
    actor = peer.actor("sig_forged_first")
    from rostra.federation.signatures import generate_key_pair

    wrong_pem, _ = generate_key_pair()
    activity = peer.create(actor, peer.note(actor, "forged at first contact", 1))
    response = peer.deliver(f"{a.url}/inbox", activity, actor, signer=(actor.key_id, wrong_pem))
    assert response.status_code == 202
    _never_stored(reader, peer, actor, "forged at first contact", f"{a.url}/inbox", 2)
    # The real activity with the same id is still taken (the forged copy cannot block it).
    assert peer.deliver(f"{a.url}/inbox", activity, actor).status_code == 202
    _arrives(reader, "forged at first contact")


def test_a_replay_dated_outside_the_window_is_refused(servers, peer, reader):
    a = servers("a")
    actor = peer.actor("sig_replayed")
    activity = peer.create(actor, peer.note(actor, "stale replay", 1))
    response = peer.deliver(f"{a.url}/inbox", activity, actor, date=old(minutes=30))
    assert response.status_code == 401
    assert "replay" in response.json()["error"]
    _never_stored(reader, peer, actor, "stale replay", f"{a.url}/inbox", 2)


def test_a_changed_body_is_refused(servers, peer, reader):
    a = servers("a")
    actor = peer.actor("sig_changed")
    _known(reader, peer, actor, f"{a.url}/inbox")
    signed = peer.create(actor, peer.note(actor, "the words that were signed", 1))
    changed = peer.create(actor, peer.note(actor, "changed on the way", 2))
    import json

    response = peer.deliver(f"{a.url}/inbox", signed, actor, body=json.dumps(changed).encode())
    assert response.status_code == 401
    assert "Digest" in response.json()["error"]
    # Recomputing the Digest for the new body does not help: the signature covered the old one.
    from rostra.federation.signatures import digest

    body = json.dumps(changed).encode()
    response = peer.deliver(f"{a.url}/inbox", signed, actor, body=body, headers={"digest": digest(body)})
    assert response.status_code == 401
    assert "does not match" in response.json()["error"]
    _never_stored(reader, peer, actor, "changed on the way", f"{a.url}/inbox", 3)


def test_an_activity_signed_with_someone_else_s_key_is_refused(servers, peer, reader):
    a = servers("a")
    owner = peer.actor("sig_owner")
    other = peer.actor("sig_other")
    _known(reader, peer, other, f"{a.url}/inbox")
    activity = peer.create(owner, peer.note(owner, "in someone else's name", 1))
    response = peer.deliver(f"{a.url}/inbox", activity, owner, signer=other.signer)
    assert response.status_code == 401
    assert "someone other than its actor" in response.json()["error"]
    _never_stored(reader, peer, owner, "in someone else's name", f"{a.url}/inbox", 2)


def test_an_activity_for_an_actor_or_object_on_another_host_is_refused(servers, peer, reader):
    a = servers("a")
    actor = peer.actor("sig_host")
    note = peer.note(actor, "from a host that is not the signer's", 1)
    activity = peer.create(actor, note)
    activity["actor"] = "https://elsewhere.example/users/sig_host"
    response = peer.deliver(f"{a.url}/inbox", activity, actor)
    assert response.status_code == 401
    # The actor is right, but the post it creates claims to live on another server.
    note = dict(peer.note(actor, "a post claiming another home", 2), id="https://elsewhere.example/statuses/2")
    activity = dict(peer.create(actor, note), id=f"{actor.uri}/activities/2")
    response = peer.deliver(f"{a.url}/inbox", activity, actor)
    assert response.status_code == 400
    assert "own server" in response.json()["error"]
    _never_stored(reader, peer, actor, "from a host that is not the signer", f"{a.url}/inbox", 3)
    assert _found(reader, "a post claiming another home") == []


def test_unsigned_requests_and_signatures_that_leave_out_the_digest_are_refused(servers, peer, reader):
    a = servers("a")
    actor = peer.actor("sig_partial")
    activity = peer.create(actor, peer.note(actor, "not signed at all", 1))
    import httpx

    unsigned = httpx.post(f"{a.url}/inbox", json=activity, headers={"Content-Type": "application/activity+json"})
    assert unsigned.status_code == 401 and "not signed" in unsigned.json()["error"]
    no_digest = peer.deliver(f"{a.url}/inbox", activity, actor, drop=("digest",))
    assert no_digest.status_code == 401
    _never_stored(reader, peer, actor, "not signed at all", f"{a.url}/inbox", 2)


def test_a_rotated_key_is_fetched_again(servers, peer, reader):
    a = servers("a")
    actor = peer.actor("sig_rotating")
    first = peer.deliver(f"{a.url}/inbox", peer.create(actor, peer.note(actor, "before the rotation", 1)), actor)
    assert first.status_code == 202
    _arrives(reader, "before the rotation")
    actor.rotate_key()
    second = peer.deliver(f"{a.url}/inbox", peer.create(actor, peer.note(actor, "after the rotation", 2)), actor)
    assert second.status_code == 202, second.text
    _arrives(reader, "after the rotation")


def test_malformed_activities_get_a_clear_error(servers, peer):
    import httpx

    a = servers("a")
    inbox = f"{a.url}/inbox"
    assert httpx.post(inbox, content=b"\xff\xfe not json").status_code == 400
    assert httpx.post(inbox, content=b"[1, 2]").json()["error"] == "An activity is a JSON object."
    assert httpx.post(inbox, json={"type": "Create"}).status_code == 400
    assert httpx.post(inbox, content=b"x" * 1_100_000).status_code == 413
    assert httpx.get(inbox).status_code == 405
    assert httpx.post(f"{a.url}/@nobody_here/inbox", json={}).status_code == 404
