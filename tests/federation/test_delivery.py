"""Delivery to a server that fails: retried with growing pauses, then the server is marked
unavailable and skipped, until it is heard from again.

A real Rostra server (retry pauses shortened through its settings: the first after 0.3 s,
giving up after about seven seconds instead of fifty hours) delivers to a hand-written peer
that answers 500 as long as a test wants.
"""

import time

import pytest

from .peer import Peer, wait_for
from .servers import Server, eventually

RETRY_ENV = {"ROSTRA_DELIVERY_FIRST_RETRY": "0.3", "ROSTRA_DELIVERY_RETRY_HOURS": "0.002"}


@pytest.fixture(scope="module")
def d(fed_databases):
    server = Server("d", fed_databases, extra_env=RETRY_ENV).start()
    yield server
    server.cleanup()


def _follow_from_peer(peer, actor, server, username):
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor.uri}/follows/{username}",
        "type": "Follow",
        "actor": actor.uri,
        "object": server.actor_uri(username),
    }
    assert peer.deliver(f"{server.url}/inbox", follow, actor).status_code == 202
    assert wait_for(lambda: [r for r in peer.received if r[2].get("type") == "Accept"]), "no Accept came back"


def _creates(peer, text):
    return [r for r in peer.received if r[2].get("type") == "Create" and text in r[2]["object"]["content"]]


def test_a_failed_delivery_is_retried_until_it_goes_through(d):
    peer = Peer()
    try:
        actor = peer.actor("retry_reader")
        poster = d.sign_up("retry_poster")
        _follow_from_peer(peer, actor, d, "retry_poster")
        accepted_so_far = len(peer.received)
        # The next two POSTs fail, the third goes through.
        peer.answer = lambda n: 500 if n <= accepted_so_far + 2 else 202
        poster.post_status("Delivered on the third try")
        attempts = wait_for(lambda: len(_creates(peer, "third try")) >= 3 and _creates(peer, "third try"), timeout=20)
        assert attempts, f"only {len(_creates(peer, 'third try'))} attempts; d's log: {d.log()[-2000:]}"
        # The same activity each time, each attempt signed when it was sent.
        assert len({a[2]["id"] for a in attempts}) == 1
        assert all("signature" in {k.lower() for k in a[1]} for a in attempts)
        time.sleep(1.5)
        assert len(_creates(peer, "third try")) == 3, "a delivery that went through was sent again"
    finally:
        peer.close()


def test_a_server_that_keeps_failing_is_skipped_until_it_is_heard_from(d):
    peer = Peer()
    try:
        actor = peer.actor("dead_reader")
        poster = d.sign_up("dead_poster")
        _follow_from_peer(peer, actor, d, "dead_poster")
        peer.answer = 500
        poster.post_status("Nobody is home")
        admin = d.create_admin("dead_admin")
        eventually(
            lambda: peer.domain in (page := admin.get("/moderation/servers").text)
            and "unavailable" in page.split(peer.domain, 1)[1].split("</tr>", 1)[0],
            timeout=30,
            message="the failing server was never marked unavailable",
        )
        tried = len(_creates(peer, "Nobody is home"))
        assert tried >= 3
        # Marked unavailable: new posts are not even tried.
        poster.post_status("Not tried while unavailable")
        time.sleep(2)
        assert _creates(peer, "Not tried while unavailable") == []
        assert len(_creates(peer, "Nobody is home")) == tried
        # The server speaks again (any signed activity from it): deliveries resume.
        peer.answer = 202
        note = peer.note(actor, "I am back", 1)
        assert peer.deliver(f"{d.url}/inbox", peer.create(actor, note), actor).status_code == 202
        time.sleep(1)
        poster.post_status("Delivered again")
        assert wait_for(lambda: _creates(peer, "Delivered again"), timeout=20), d.log()[-2000:]
    finally:
        peer.close()
