"""Story 7: a locked account approves a follower, who then sees its followers-only posts."""

import pytest
from playwright.sync_api import expect

from tests.browser.steps import log_in, post_ids, reload_until
from tests.helpers import make_user

pytestmark = pytest.mark.browser


def test_locked_account_approves_a_follower(new_context, shot):
    make_user("alice")
    make_user("bob")
    bob = log_in(new_context().new_page(), "bob")

    bob.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    locked = bob.get_by_label("Approve followers by hand")
    expect(locked).not_to_be_checked()
    locked.check()
    bob.get_by_role("button", name="Save profile").click()
    expect(bob.get_by_role("status")).to_have_text("Saved.")
    expect(bob.get_by_label("Approve followers by hand")).to_be_checked()

    bob.goto("/")
    compose = bob.locator("#compose")
    compose.get_by_text("Options: content warning, who can see it, images").click()
    compose.get_by_label("Who can see it").select_option(label="Followers only")
    compose.get_by_label("What do you want to say?").fill("Only for the people I let in.")
    compose.get_by_role("button", name="Post", exact=True).click()
    expect(bob.locator("article[data-post]")).to_have_count(1)
    (secret,) = post_ids(bob)
    expect(bob.locator(f"#post-{secret}")).to_contain_text("Followers only")

    alice = log_in(new_context().new_page(), "alice")
    alice.goto("/@bob")
    expect(alice.get_by_text("locked: approves followers")).to_be_visible()
    expect(alice.get_by_text("No posts yet.")).to_be_visible()
    alice.get_by_role("button", name="Ask to follow").click()
    expect(alice.get_by_role("button", name="Cancel follow request")).to_be_visible()
    shot(alice, "requested")

    bob.goto("/follow-requests")
    shot(bob, "follow-requests")
    bob.get_by_role("button", name="Accept @alice").click()
    expect(bob.get_by_text("No one is waiting.")).to_be_visible()

    alice.reload()
    expect(alice.get_by_role("button", name="Unfollow")).to_be_visible()
    expect(alice.locator(f"#post-{secret}")).to_contain_text("Only for the people I let in.")
    shot(alice, "let-in")
    # The follow also brings the post into Alice's home feed, through the worker.
    alice.goto("/")
    reload_until(alice, lambda: alice.locator(f"#post-{secret}").count() == 1, message="no backfill into home")
