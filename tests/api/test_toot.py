"""toot, the Mastodon command-line client (PyPI ``toot``), used against Rostra as a person would.

toot runs as a subprocess with its own configuration folder (``XDG_CONFIG_HOME``), logs in with
``toot login_cli`` (the password grant; toot takes an ``http://`` instance URL as given), posts,
and reads timelines, statuses, threads and notifications; the tests read what it prints.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rostra.accounts import actions as accounts
from rostra.posts import actions as posts
from tests.helpers import PASSWORD, eventually
from tests.images import jpeg_bytes

TOOT = Path(sys.executable).with_name("toot")


class Toot:
    """One person's toot: its own config folder, logged in to the server."""

    def __init__(self, server, home):
        self.server = server
        self.home = home
        self.env = {
            **os.environ,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "NO_COLOR": "1",
            "TERM": "dumb",
            "COLUMNS": "120",
            "PAGER": "cat",
        }

    def __call__(self, *args, ok=True, stdin=None):
        result = subprocess.run(
            [str(TOOT), "--no-color", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if ok:
            assert result.returncode == 0, f"toot {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{self.server.log()[-2000:]}"
        return result

    def login(self, username, password=PASSWORD):
        return self("login_cli", "--instance", self.server.url, "--email", username, "--password", password)


@pytest.fixture
def toot(live_rostra, tmp_path):
    if not TOOT.exists() and shutil.which("toot") is None:
        pytest.fail("toot is not installed (it is in the test extra)")
    return lambda name: Toot(live_rostra, tmp_path / name)


def test_toot_logs_in_posts_and_reads_the_home_timeline(toot, people):
    alice, bob = people["alice"], people["bob"]
    accounts.follow(alice, bob)
    posts.create_post(bob, "Tomatoes are in season at the market")
    as_alice = toot("alice")

    login = as_alice.login("alice")
    assert "Successfully logged in" in login.stdout
    config = json.loads((as_alice.home / "config" / "toot" / "config.json").read_text())
    assert config["active_user"].startswith("alice@")

    whoami = as_alice("whoami")
    assert "@alice" in whoami.stdout

    posted = as_alice("post", "Hello from the command line, #toot")
    match = re.search(r"Toot posted: (\S+)", posted.stdout)
    assert match, posted.stdout
    assert match.group(1).startswith(live_url(as_alice) + "/@alice/")

    home = as_alice("timelines", "home")
    assert "Hello from the command line" in home.stdout
    assert "Tomatoes are in season at the market" in home.stdout
    assert "@bob" in home.stdout

    public = as_alice("timelines", "public")
    assert "Hello from the command line" in public.stdout


def live_url(t):
    return t.server.url


def test_toot_replies_echoes_votes_and_reads_the_thread_and_notifications(toot, people, tmp_path):
    alice, bob = people["alice"], people["bob"]
    accounts.follow(bob, alice)
    original = posts.create_post(alice, "Which tomato grows best on a balcony?")
    as_bob = toot("bob")
    as_bob.login("bob")

    reply = as_bob("post", "--reply-to", str(original.pk), "Cherry tomatoes, every time")
    reply_id = re.search(r"/(\d+)\s*$", reply.stdout.strip()).group(1)
    as_bob("reblog", str(original.pk))
    as_bob("favourite", str(original.pk))
    as_bob("bookmark", str(original.pk))

    thread = as_bob("thread", str(original.pk))
    assert "Which tomato grows best on a balcony?" in thread.stdout
    assert "Cherry tomatoes, every time" in thread.stdout

    status = as_bob("status", reply_id)
    assert "Cherry tomatoes, every time" in status.stdout

    image = tmp_path / "tomato.jpg"
    image.write_bytes(jpeg_bytes(color=(220, 30, 30)))
    with_image = as_bob("post", "--media", str(image), "--description", "A red tomato", "My harvest")
    assert "Toot posted" in with_image.stdout

    as_alice = toot("alice")
    as_alice.login("alice")

    def notified():
        out = as_alice("notifications").stdout
        return "bob" in out and ("reblogged" in out or "boosted" in out) and "favourited" in out and out

    out = eventually(notified, timeout=20, message="toot never showed alice bob's echo and vote")
    assert "Cherry tomatoes, every time" in out

    account = as_alice("timelines", "account", "bob")
    assert "My harvest" in account.stdout

    found = as_alice("search", "balcony")
    assert f"/@alice/{original.pk}" in found.stdout

    as_alice("delete", str(original.pk))
    gone = as_alice("status", str(original.pk), ok=False)
    assert gone.returncode != 0 or "not found" in (gone.stdout + gone.stderr).lower()


def test_toot_follows_mutes_blocks_and_keeps_lists(toot, people):
    alice, bob = people["alice"], people["bob"]
    posts.create_post(bob, "Seedlings for #gardens, free to a good home")
    as_alice = toot("alice")
    as_alice.login("alice")

    instance = as_alice("instance")
    assert "Mastodon 4.3.0 (compatible; Rostra" in instance.stdout and "No harassment" in instance.stdout
    assert "Statuses: 1" in as_alice("whois", "bob").stdout

    assert "You are now following bob" in as_alice("follow", "bob").stdout
    assert "* @bob" in as_alice("following", "alice").stdout
    assert "* @alice" in as_alice("followers", "bob").stdout

    assert 'List "Gardeners" created' in as_alice("lists", "create", "Gardeners").stdout
    as_alice("lists", "add", "Gardeners", "bob")
    assert "* @bob" in as_alice("lists", "accounts", "Gardeners").stdout
    assert "Seedlings for #gardens" in as_alice("timelines", "list", "Gardeners").stdout
    assert "Seedlings for #gardens" in as_alice("timelines", "tag", "gardens").stdout
    assert "#gardens" in as_alice("tags", "info", "gardens").stdout

    as_alice("mute", "bob")
    assert "* @bob" in as_alice("muted").stdout
    as_alice("unmute", "bob")
    as_alice("block", "bob")
    assert "* @bob" in as_alice("blocked").stdout

    assert "Account updated" in as_alice("update-account", "--display-name", "Alice in the garden", "--note", "Tomatoes").stdout
    assert "Alice in the garden" in as_alice("whoami").stdout
    assert 'List "Gardeners" deleted' in as_alice("lists", "delete", "Gardeners").stdout
