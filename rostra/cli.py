"""The ``rostra`` command: run, administer and seed an instance.

    rostra serve [--workers N] [--threads T] [--no-worker] [--host H] [--port P] [--streaming-port P]
    rostra worker [--queues default,media]
    rostra streaming [--host H] [--port P] [--workers N]   (the streaming API, ASGI)
    rostra migrate
    rostra createadmin USERNAME [--password P]
    rostra demo [--users N] [--posts M]
    rostra check
    rostra backup FILE            (database, media and secret key of a running instance, in one tar.gz)
    rostra restore FILE [--force] (bring a backup up here: an empty database, migrated)
    rostra export USERNAME FILE   (an account's archive: a zip shaped like Mastodon's)
    rostra import USERNAME KIND FILE   (KIND: following, blocks, mutes, bookmarks, lists, posts)
    rostra manage ARGS...        (any Django management command)
    rostra moderate [FILE] [--model-only]     (screen texts, one per line, with the model)
    rostra moderation train [--data DIR]      (rebuild the model; needs the ``train`` extra)
"""

import argparse
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

QUEUES = "default,media,inbox,delivery"


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rostra.settings")
    import django

    django.setup()


def _call(*args):
    from django.core.management import call_command

    call_command(*args)


def ensure_demo_admin(stdout=sys.stdout):
    """On an instance with no admin yet, create ``admin`` and say its password once.

    The password comes from ROSTRA_ADMIN_PASSWORD, or is generated and printed.
    """
    from rostra.accounts import actions
    from rostra.accounts.models import User

    if User.objects.filter(role=User.Role.ADMIN).exists():
        return None
    username = os.environ.get("ROSTRA_ADMIN_USERNAME", "admin")
    password = os.environ.get("ROSTRA_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
    # An operator's chosen password is their call; the strength rules are for sign-ups.
    actions.sign_up(username, password, role=User.Role.ADMIN, check_open=False, operator=True)
    print(
        f"\n  Demo admin created.  username: {username}   password: {password}\n"
        "  (set ROSTRA_ADMIN_PASSWORD to choose it; shown only this once)\n",
        file=stdout,
        flush=True,
    )
    return username, password


def cmd_migrate(args):
    _setup()
    _call("migrate", "--no-input", *(["-v", "0"] if args.quiet else []))


def cmd_check(args):
    _setup()
    _call("check", "--deploy" if args.deploy else "--fail-level=ERROR")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    print(f"Database reachable ({connection.vendor}).")
    from django.conf import settings

    if settings.REDIS_URL:
        from django.core.cache import cache

        cache.set("rostra:check", "ok", 5)
        if cache.get("rostra:check") != "ok":
            raise SystemExit("Redis is configured but did not answer.")
        print("Redis reachable.")
    print("Rostra is ready.")


def cmd_createadmin(args):
    _setup()
    from rostra.accounts import actions
    from rostra.accounts.models import User
    from rostra.core.errors import ActionError

    password = args.password or os.environ.get("ROSTRA_ADMIN_PASSWORD")
    generated = not password
    password = password or secrets.token_urlsafe(12)
    try:
        actions.sign_up(args.username, password, role=User.Role.ADMIN, check_open=False, operator=True)
    except ActionError as exc:
        raise SystemExit(f"rostra createadmin: {exc.message}")
    print(f"Admin {args.username} created." + (f" Password: {password}" if generated else ""))


def cmd_worker(args):
    _setup()
    queues = args.queues or QUEUES
    _call("db_worker", "--queue-name", queues, "--interval", str(args.interval), "--no-startup-delay")


def _granian_args(args, static_root, media_root):
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--workers",
        str(args.workers),
        "--blocking-threads",
        str(args.threads),
        "--workers-kill-timeout",
        WORKER_KILL_SECONDS,
        "--backpressure",
        "64",
        "--no-access-log",
        "--static-path-route",
        "/static",
        "--static-path-mount",
        str(static_root),
        "--static-path-route",
        "/media",
        "--static-path-mount",
        str(media_root),
        "--static-path-expires",
        "86400",
        "rostra.wsgi:application",
    ]


def cmd_serve(args):
    _setup()
    from django.conf import settings

    if not args.no_migrate:
        _call("migrate", "--no-input", "-v", "0")
        ensure_demo_admin()
    _call("collectstatic", "--no-input", "-v", "0")
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    if args.streaming_port and not os.environ.get("ROSTRA_STREAMING_URL"):
        # Apps learn where to stream from /api/v1/instance: here, this host on the other port.
        scheme = "wss" if settings.ROSTRA_HTTPS else "ws"
        host = settings.ROSTRA_DOMAIN.rsplit(":", 1)[0] if not settings.ROSTRA_DOMAIN.startswith("[") else settings.ROSTRA_DOMAIN
        os.environ["ROSTRA_STREAMING_URL"] = f"{scheme}://{host}:{args.streaming_port}"
    server = _start_child(_granian_args(args, settings.STATIC_ROOT, settings.MEDIA_ROOT))
    # One box: the streaming API beside the web server, in its own ASGI process.
    streaming = _start_child(streaming_args(args.host, args.streaming_port, 1)) if args.streaming_port else None
    worker = None if args.no_worker else start_embedded_worker()
    print(
        f"Rostra is serving on http://{args.host}:{args.port}"
        f" ({args.workers} web worker{'s' if args.workers != 1 else ''},"
        f" {'no task worker' if args.no_worker else 'a task worker in this process'}). Ctrl-C stops it.",
        flush=True,
    )

    children = [c for c in (server, streaming) if c is not None]
    deadline = None

    def stop(*_):
        nonlocal deadline
        if worker is not None:
            worker.running = False
        deadline = deadline or time.monotonic() + SHUTDOWN_SECONDS
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        # Woken now and then so that a server that ignores the stop is not waited for past
        # the deadline.
        while server.poll() is None and (deadline is None or time.monotonic() < deadline):
            try:
                server.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
    finally:
        stop()
        _reap(children, deadline)
        if worker is not None:
            worker.thread.join(timeout=2)
        # Nothing left to wait for: leave now rather than let an interpreter-exit join of an
        # idle thread pool (screening, the model) or a task still running hold the stop.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        code = server.returncode
        os._exit(code if code and code > 0 else 0)


# How long `rostra serve` gives its servers to stop before they are killed. granian's own
# worker kill timeout is shorter, so a hung worker is dealt with by its server first.
SHUTDOWN_SECONDS = 8
WORKER_KILL_SECONDS = "5"


def _start_child(command):
    """Start a server in a process group of its own, stopped by this process alone.

    A terminal's Ctrl-C or a service manager's SIGTERM goes to the whole group. granian's
    workers then die before their main process has begun its own shutdown; it takes that for
    a crash and was seen to hang. So only `rostra serve` signals its servers, and each is
    told by the kernel to stop if `rostra serve` dies without doing so (it is not orphaned).
    """
    parent = os.getpid()

    def die_with_parent():
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return subprocess.Popen(command, process_group=0, preexec_fn=die_with_parent if _prctl else None)


def _libc_prctl():
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: children are still stopped by this process
        return None


PR_SET_PDEATHSIG = 1
_prctl = _libc_prctl() if sys.platform.startswith("linux") else None


def _reap(children, deadline):
    """Wait for every child until the shared deadline, then kill those still running.

    A child is killed with its whole process group: killing granian's main process alone
    would leave its workers running, still holding the port.
    """
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            child.wait()


def start_embedded_worker():
    """Run a task worker on a thread of the serving process: one box needs nothing else.

    It is the same worker `rostra worker` runs, so the embedded one and any number of
    separate ones share the queue safely.
    """
    from django.utils.crypto import get_random_string
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=QUEUES.split(","),
        interval=float(os.environ.get("ROSTRA_WORKER_INTERVAL", "0.5")),
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"serve-{get_random_string(12)}",
        excluded_queue_names=[],
    )
    worker.thread = threading.Thread(target=_keep_running, args=(worker,), name="rostra-task-worker", daemon=True)
    worker.thread.start()
    return worker


def _keep_running(worker, pause=1.0):
    """Run ``worker`` until it is stopped, starting it again after an error escapes it.

    The worker's loop lets some errors out: a dropped database connection, or a task whose
    result row was deleted while it ran (it then fails to record the outcome). On a thread
    that would end background work for good (no fan-out, notifications or thumbnails) while
    the web server went on serving as if nothing had happened.
    """
    from django.db import connections

    while worker.running:
        try:
            worker.run()
        except Exception:
            logging.getLogger("rostra.worker").exception("The task worker failed; starting it again")
            connections.close_all()
            time.sleep(pause)


def streaming_args(host, port, workers):
    """granian serving the streaming API: ASGI with lifespan (it closes streams on shutdown)."""
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--ws",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        # Streams are ended on the stop signal; a worker that still hangs is killed.
        "--workers-kill-timeout",
        WORKER_KILL_SECONDS,
        "--no-access-log",
        "rostra.asgi:application",
    ]


def cmd_streaming(args):
    """Run the streaming API in its own process, so open streams never hold a web worker.

    Each worker process polls the database on its own; one handles thousands of streams.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rostra.settings")
    print(f"Rostra streaming on http://{args.host}:{args.port}/api/v1/streaming", flush=True)
    command = streaming_args(args.host, args.port, args.workers)
    os.execv(command[0], command)


def cmd_demo(args):
    _setup()
    from rostra.core.demo import seed

    seed(users=args.users, posts=args.posts, seed=args.seed)


def cmd_backup(args):
    _setup()
    from rostra.core.backup import BackupError, backup

    try:
        result = backup(args.file)
    except BackupError as exc:
        raise SystemExit(f"rostra backup: {exc}.")
    print(result.summary())


def cmd_restore(args):
    # Settings write a new secret key file when there is none; the backup's goes there instead.
    own_key = "ROSTRA_SECRET_KEY" in os.environ
    if not own_key:
        os.environ["ROSTRA_SECRET_KEY"] = secrets.token_urlsafe(50)
    _setup()
    if not own_key:
        del os.environ["ROSTRA_SECRET_KEY"]
    from rostra.core.backup import BackupError
    from rostra.core.restore import restore

    try:
        result = restore(args.file, force=args.force)
    except BackupError as exc:
        raise SystemExit(f"rostra restore: {exc}.")
    for note in result.notes:
        print(f"Note: {note}", file=sys.stderr)
    print(result.summary())


def _archive_account(verb, username):
    """The local account a person named on the command line, or a clear exit."""
    from django.db.models.functions import Lower

    from rostra.accounts.models import Account

    account = (
        Account.objects.alias(u=Lower("username"))
        .filter(u=username.lstrip("@").lower(), domain__isnull=True)
        .first()
    )
    if account is None:
        raise SystemExit(f"rostra {verb}: there is no account named {username!r} on this instance.")
    return account


def _progress_bar(unit):
    """(tqdm bar on stderr, progress callback) for an export or import."""
    from tqdm import tqdm

    bar = tqdm(unit=unit, file=sys.stderr, dynamic_ncols=True, mininterval=0.5, disable=None)

    def progress(done, total):
        if total is not None and bar.total != total:
            bar.total = total
            bar.refresh()
        bar.update(done - bar.n)

    return bar, progress


def cmd_export(args):
    _setup()
    from rostra.accounts.archive import export_archive

    account = _archive_account("export", args.username)
    target = Path(args.file)
    partial = target.with_name(target.name + ".part")
    bar, progress = _progress_bar("items")
    try:
        with open(partial, "wb") as out:
            stats = export_archive(account, out, progress=progress)
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise SystemExit(f"rostra export: cannot write {args.file}: {exc.strerror or exc}.")
    finally:
        bar.close()
    print(f"Wrote {args.file}: {stats.summary()}.")


def cmd_import(args):
    _setup()
    from rostra.accounts.archive import MAX_CSV_BYTES, import_csv, import_posts
    from rostra.core.errors import ActionError

    account = _archive_account("import", args.username)
    try:
        with open(args.file, "rb") as f:
            data = f.read(MAX_CSV_BYTES + 1) if args.kind != "posts" else None
    except OSError as exc:
        raise SystemExit(f"rostra import: cannot read {args.file}: {exc.strerror or exc}.")
    bar, progress = _progress_bar("posts" if args.kind == "posts" else "rows")
    try:
        if args.kind == "posts":
            result = import_posts(account, args.file, progress=progress)
        else:
            result = import_csv(account, args.kind, data, progress=progress)
    except ActionError as exc:
        raise SystemExit(f"rostra import: {exc.message}")
    finally:
        bar.close()
    for line in result.failures:
        print(line, file=sys.stderr)
    print(f"Imported {args.file} into @{account.username}: {result.summary()}")


def cmd_manage(args):
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["rostra manage"] + args.rest)


def cmd_moderate(args):
    from rostra.moderation.cli import moderate

    sys.exit(moderate(args))


def cmd_moderation_train(args):
    from rostra.moderation.training.train import main as train

    train(args=args)


def build_parser():
    parser = argparse.ArgumentParser(prog="rostra", description="Run and administer a Rostra instance.")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = sub.add_parser("serve", help="migrate, then serve the web app (granian) with a task worker")
    p.add_argument("--host", default=os.environ.get("ROSTRA_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("ROSTRA_PORT", "8000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("ROSTRA_WEB_WORKERS", "2")))
    # More than one thread per process: a request that waits on another server (a key to fetch,
    # an account to look up) must not hold up the process, nor a request that server makes back.
    p.add_argument("--threads", type=int, default=int(os.environ.get("ROSTRA_WEB_THREADS", "4")),
                   help="threads per web process (default 4, or ROSTRA_WEB_THREADS)")
    p.add_argument("--no-worker", action="store_true", help="do not run the embedded task worker")
    p.add_argument("--no-migrate", action="store_true", help="skip migrations (another process runs them)")
    p.add_argument(
        "--streaming-port", type=int, default=None,
        help="also serve the streaming API on this port (one box; else run `rostra streaming`)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run a background task worker (run as many as you like)")
    p.add_argument("--queues", default=None, help=f"comma-separated queues (default {QUEUES})")
    p.add_argument(
        "--interval", type=float, default=float(os.environ.get("ROSTRA_WORKER_INTERVAL", "0.5")),
        help="seconds between polls when idle",
    )
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("streaming", help="serve the streaming API (server-sent events, WebSocket) over ASGI")
    p.add_argument("--host", default=os.environ.get("ROSTRA_STREAMING_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("ROSTRA_STREAMING_PORT", "4000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("ROSTRA_STREAMING_WORKERS", "1")))
    p.set_defaults(func=cmd_streaming)

    p = sub.add_parser("migrate", help="create or update the database tables")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("createadmin", help="create an admin account")
    p.add_argument("username")
    p.add_argument("--password", help="default: ROSTRA_ADMIN_PASSWORD, else generated and printed")
    p.set_defaults(func=cmd_createadmin)

    p = sub.add_parser("demo", help="seed demo people, posts, follows, echoes and votes")
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--posts", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("check", help="check the configuration, the database and Redis")
    p.add_argument("--deploy", action="store_true", help="also run Django's deployment checks")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("backup", help="write the database, media and secret key to one archive, while serving")
    p.add_argument("file", help="the archive to write (a .tar.gz)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="bring a backup up here (an empty database; migrates it)")
    p.add_argument("file", help="an archive `rostra backup` wrote")
    p.add_argument("--force", action="store_true", help="replace a database that has content, and the secret key")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("export", help="write an account's archive (a zip shaped like Mastodon's, with CSV files)")
    p.add_argument("username", help="a local account")
    p.add_argument("file", help="the zip to write")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="import Mastodon's CSV files, or a Mastodon archive's posts, into an account")
    p.add_argument("username", help="a local account")
    p.add_argument("kind", choices=["following", "blocks", "mutes", "bookmarks", "lists", "posts"])
    p.add_argument("file", help="a CSV file, or for posts a Mastodon archive (.zip)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("manage", help="run any Django management command", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)

    from rostra.moderation.cli import add_arguments as moderate_arguments
    from rostra.moderation.training import add_arguments as train_arguments

    p = sub.add_parser("moderate", help="screen texts (one per line, or JSON lines) with the moderation model")
    moderate_arguments(p)
    p.set_defaults(func=cmd_moderate)

    p = sub.add_parser("moderation", help="the moderation model: train")
    msub = p.add_subparsers(dest="moderation_verb", required=True, metavar="COMMAND")
    t = msub.add_parser("train", help="rebuild the moderation model from the data sets (needs the train extra)")
    train_arguments(t)
    t.set_defaults(func=cmd_moderation_train)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
