"""End-to-end self-check of peer.py: two bovine-herd instances federating.

Run from the repository root with Rostra's environment (needs httpx only):

    .venv/bin/python -m tests.federation.bovine.selfcheck [--keep]

It installs bovine if needed, starts bovine A on 127.0.0.1:8123 and bovine B
on 127.0.0.1:8124 (data under a temporary directory, removed afterwards unless
--keep), and walks every function of peer.py: alice@A follows bob@B, bob
accepts, bob posts a public note (followers in cc), a followers-only note and
nine more (so collections page), alice receives them, alice unfollows. It prints one line per step with its duration and exits non-zero
on the first failure. Takes about 30 s. Not named test_* on purpose: it is a
manual check, not part of Rostra's pytest run.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.federation.bovine import peer


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    parser.add_argument("--port-a", type=int, default=8123)
    parser.add_argument("--port-b", type=int, default=8124)
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="bovine-selfcheck-"))
    last = time.monotonic()

    def step(message):
        nonlocal last
        now = time.monotonic()
        print(f"[{now - last:5.2f}s] {message}", flush=True)
        last = now

    def is_type(kind, content=None):
        def check(item):
            if not isinstance(item, dict) or item.get("type") != kind:
                return False
            obj = item.get("object")
            return content is None or (isinstance(obj, dict) and obj.get("content") == content)

        return check

    peer.install()
    step("install() (idempotent)")
    a = peer.start(args.port_a, root / "a")
    b = None
    try:
        b = peer.start(args.port_b, root / "b")
        step(f"start() A={a.base_url} B={b.base_url}")
        alice = peer.create_actor(a, "alice")
        bob = peer.create_actor(b, "bob")
        step(f"create_actor() alice={alice.actor_id} bob={bob.actor_id}")

        me = peer.signed_get(a, alice, alice.actor_id)
        assert me.status_code == 200 and me.json()["id"] == alice.actor_id, me.text
        step("signed_get() alice's own actor document with Moo-Auth-1")

        follow_id = peer.follow(a, alice, bob.actor_id)
        peer.wait_until(lambda: any(map(is_type("Follow"), peer.inbox_items(b, bob))))
        assert peer.following(a, alice) == [], "bovine must not count a follow before Accept"
        step("follow(): Follow delivered to bob's inbox (no auto-Accept)")

        accepted = peer.accept_pending_follows(b, bob)
        assert accepted == [alice.actor_id], accepted
        peer.wait_until(lambda: peer.followers(b, bob) == [alice.actor_id])
        peer.wait_until(lambda: peer.following(a, alice) == [bob.actor_id])
        step("accept_pending_follows(): followers(bob) and following(alice) updated")

        public = peer.post_note(b, bob, "hello from bob", to=("public",), cc=("followers",))
        quiet = peer.post_note(b, bob, "only for followers", to=("followers",))
        assert public["note_id"] in peer.outbox_ids(b, bob) or public["create_id"] in peer.outbox_ids(b, bob)
        step("post_note() public and followers-only")

        inbox = peer.wait_until(
            lambda: (items := peer.inbox_items(a, alice))
            and any(map(is_type("Create", "hello from bob"), items))
            and any(map(is_type("Create", "only for followers"), items))
            and items
        )
        types = [i.get("type") if isinstance(i, dict) else i for i in inbox]
        step(f"inbox_items(alice): {types}")

        for n in range(9):
            peer.send_to_outbox(b, bob, {"type": "Create", "to": [bob.followers], "object": {
                "type": "Note", "attributedTo": bob.actor_id, "content": f"bulk {n}", "to": [bob.followers]}})
        ids = peer.wait_until(lambda: len(ids := peer.inbox_items(a, alice, resolve=False)) >= 12 and ids)
        assert len(ids) == len(set(ids)) == 12, ids
        assert len(peer.outbox_ids(b, bob)) == 12  # Accept + 11 Creates, paged
        step("send_to_outbox() x9; inbox_items/outbox_ids walk bovine's paging (>=10 items)")

        note = peer.fetch(a, alice, public["note_id"])
        assert note["content"] == "hello from bob", note
        step("fetch() bob's note through alice's proxyUrl")

        out = [r for r in peer.wire_log(b, "out") if r["method"] == "POST"]
        assert out and all("signature" in r["headers"] for r in out), out
        step(f"wire_log(): B sent {len(out)} signed POSTs")

        peer.unfollow(a, alice, follow_id, bob.actor_id)
        peer.wait_until(lambda: peer.followers(b, bob) == [])
        assert peer.following(a, alice) == []
        step("unfollow(): Undo(Follow) removed alice from bob's followers")
        assert quiet["note_id"]
    finally:
        if b is not None:
            peer.stop(b)
        code = peer.stop(a)
        step(f"stop() both (A exit code {code})")
        if args.keep:
            print(f"data kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print("selfcheck passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
