"""Rostra and an ActivityPub server its developers did not write: bovine-herd, on loopback.

bovine (PyPI ``bovine-herd`` 0.5.19) runs in its own virtual environment
(tests/federation/bovine/peer.py installs it there the first time, from PyPI) and signs its
requests its own way (``#serverKey``, lower-case ``sha-256`` digests, signed GETs that it
demands back). A bovine actor follows a Rostra account and receives its posts; the Rostra
account follows the bovine actor and receives its posts.
"""

import pytest

from tests.server import free_port

from .bovine import peer as bovine
from .servers import eventually


def _waited(check, herd, server, what, timeout=45):
    """``bovine.wait_until``, with both servers' logs in the failure when it times out."""
    try:
        return bovine.wait_until(check, timeout=timeout)
    except TimeoutError:
        raise AssertionError(
            f"{what}\n--- Rostra's log ---\n{server.log()[-3000:]}\n--- bovine's log ---\n{herd.log_path.read_text()[-4000:]}"
        ) from None


@pytest.fixture(scope="module")
def herd(tmp_path_factory):
    bovine.install()
    running = bovine.start(free_port(), tmp_path_factory.mktemp("bovine"))
    yield running
    bovine.stop(running)


def test_a_bovine_actor_and_a_rostra_account_follow_each_other_and_read_each_other(servers, herd):
    a = servers("a")
    alice = a.sign_up("bov_alice")
    cow = bovine.create_actor(herd, "cow")
    alice_uri = a.actor_uri("bov_alice")

    # bovine follows Alice; Rostra accepts at once (her account is not locked).
    bovine.follow(herd, cow, alice_uri)
    _waited(lambda: alice_uri in bovine.following(herd, cow), herd, a, "Rostra's Accept never reached bovine")
    me = alice.ok(alice.get("/api/v1/accounts/verify_credentials"))
    followers = alice.ok(alice.get(f"/api/v1/accounts/{me['id']}/followers"))
    assert [f["url"] for f in followers] == [cow.actor_id] or [f["acct"].split("@")[0] for f in followers] == ["cow"]

    # Alice's post reaches the bovine actor's inbox.
    alice.post_status("Greetings to the herd")
    created = _waited(
        lambda: [i for i in bovine.inbox_items(herd, cow) if isinstance(i, dict) and i.get("type") == "Create"
                 and "Greetings to the herd" in str((i.get("object") or {}).get("content"))],
        herd, a, "Alice's post never reached bovine",
    )
    actor = created[0]["actor"]
    assert (actor.get("id") if isinstance(actor, dict) else actor) == alice_uri

    # Alice follows the bovine actor (found by its URL); bovine's owner accepts.
    found = alice.ok(alice.get("/api/v2/search", params={"q": cow.actor_id, "resolve": "true", "type": "accounts"}))
    assert found["accounts"], found
    cow_here = found["accounts"][0]
    alice.ok(alice.post(f"/api/v1/accounts/{cow_here['id']}/follow"))
    _waited(lambda: bovine.accept_pending_follows(herd, cow) or alice_uri in bovine.followers(herd, cow), herd, a,
            "Rostra's Follow never reached bovine")
    eventually(
        lambda: alice.ok(alice.get("/api/v1/accounts/relationships", params={"id[]": cow_here["id"]}))[0]["following"],
        timeout=30,
        message="bovine's Accept never reached Rostra",
    )

    # The bovine actor's public post lands in Alice's home timeline, screened like any post.
    bovine.post_note(herd, cow, "Moo from the other server", to=("public",), cc=("followers",))
    status = eventually(
        lambda: next((s for s in alice.home() if "Moo from the other server" in s["content"]), None),
        timeout=30,
        message="bovine's post never reached Rostra",
    )
    assert status["account"]["id"] == cow_here["id"]
    assert status["visibility"] == "public"
