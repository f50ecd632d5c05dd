#!/usr/bin/env python
"""Where the samples of ``py-spy record -f raw`` profiles went, as a Markdown table.

    python bench/pyspy_summary.py bench/.data/profiles/embedded-incoming-worker-*.txt
    python bench/pyspy_summary.py --tree "deliver (rostra/federation/tasks.py)" FILES...

``bench/federation.py --profile`` writes the files (py-spy at 50 Hz on the task workers and the
granian workers while Creates are processed or posts delivered). Samples of threads waiting
(an idle worker's sleep, a thread pool waiting for work, ``rostra serve`` waiting on granian)
are left out; each remaining sample goes to the first category below whose function is on its
stack, so the shares add up to 100% of the time the processes were doing something. They are
shares of wall-clock samples: time a thread spent waiting for a lock held by another process
(SQLite's write lock) or for a core counts too.
"""

import argparse
import collections
import re

# Leaf frames of threads that are only waiting.
IDLE = (
    "_worker (concurrent/futures/thread.py)",
    "Popen._try_wait (subprocess.py)",
    "Condition.wait (threading.py)",
    "Event.wait (threading.py)",
    "Worker.run (db_worker.py)",  # time.sleep between polls of an idle queue
    "select (selectors.py)",
)

# (label, function that must be on the stack); the first match wins.
CATEGORIES = (
    ("moderation model: onnxruntime inference (screening thread)", "score_one (rostra/moderation/model.py)"),
    ("incoming: fan-out to home feeds (timelines.fan_out_post task)", "fan_out_post (rostra/timelines/tasks.py)"),
    ("incoming: notifications (timelines.notify_post task)", "notify_post (rostra/timelines/tasks.py)"),
    ("incoming: screening around the model (rules, Screening row)", "screen (rostra/moderation/screening.py)"),
    ("incoming: publishing (counters, hashtags, search index, enqueueing)", "_on_publish (rostra/posts/actions.py)"),
    ("incoming: receive_post (look-up, insert, mentions, commit)", "receive_post (rostra/posts/actions.py)"),
    ("incoming: store_note (parse, look-ups, links)", "store_note (rostra/federation/inbox.py)"),
    ("incoming: process() (ReceivedActivity, actor look-up, note_success)", "process (rostra/federation/inbox.py)"),
    ("outgoing: HTTP to the other server (httpx)", "_GeneratorContextManager.__enter__ (contextlib.py)", "post_activity (rostra/federation/fetch.py)"),
    ("outgoing: signing the delivery (RSA)", "sign (rostra/federation/signatures.py)"),
    ("outgoing: deliver() checks and bookkeeping", "deliver (rostra/federation/tasks.py)"),
    ("outgoing: send_post (inboxes, rendering, enqueueing deliveries)", "send_post (rostra/federation/tasks.py)"),
    ("task queue: claiming tasks and recording results (django_tasks_db)", "Worker.run (db_worker.py)"),
    ("web: inbox signature check (key look-up, RSA verify)", "signer_of_inbox_post (rostra/federation/verify.py)"),
    ("web: inbox note_success", "note_success (rostra/federation/actions.py)"),
    ("web: inbox domain-block checks", "blocked_domain (rostra/federation/actions.py)"),
    ("web: inbox storing the activity and enqueueing (transactions)", "inbox (rostra/federation/views.py)"),
    ("web: POST /compose (with screening)", "compose (rostra/web/views/posts.py)"),
    ("web: other pages (the probe's profile page, sign-in)", "BaseHandler._get_response (django/core/handlers/base.py)"),
    ("web: Django middleware and WSGI outside views", "WSGIHandler.__call__ (django/core/handlers/wsgi.py)"),
    ("web: granian bridge", "_callback_wrapper.<locals>._runner (granian/wsgi.py)"),
)


def norm(frame):
    return re.sub(r":\d+\)$", ")", frame)


def load(paths):
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.rstrip()
                if line:
                    stack, _, count = line.rpartition(" ")
                    yield [norm(x) for x in stack.split(";")], int(count)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--tree", help="instead: what the functions called by this one took (its children)")
    parser.add_argument("--depth", type=int, default=1)
    args = parser.parse_args()
    samples = [(stack, n) for stack, n in load(args.files) if stack[-1] not in IDLE]
    active = sum(n for _, n in samples)
    if not active:
        print("no active samples")
        return
    if args.tree:
        under = collections.Counter()
        for stack, n in samples:
            if args.tree in stack:
                i = stack.index(args.tree)
                under[" > ".join(stack[i + 1 : i + 1 + args.depth]) or "(itself)"] += n
        print(f"{args.tree}: {100 * sum(under.values()) / active:.1f}% of {active} active samples")
        for name, n in under.most_common(30):
            print(f"{100 * n / active:6.1f}%  {name}")
        return
    found = collections.Counter()
    for stack, n in samples:
        present = set(stack)
        if not any(stack):
            found["native code, no Python frame (granian's own threads)"] += n
            continue
        for label, *needed in CATEGORIES:
            if all(f in present for f in needed):
                found[label] += n
                break
        else:
            found["other"] += n
    print(f"| share of active samples ({active:,}) | what |")
    print("|---:|---|")
    for label, n in found.most_common():
        print(f"| {100 * n / active:.1f}% | {label} |")


if __name__ == "__main__":
    main()
