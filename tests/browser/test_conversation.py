"""Story 3: follow someone, see their post arrive, comment, echo with a comment, vote, bookmark."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import log_in, post_ids, reload_until, write_post
from tests.helpers import make_user

pytestmark = pytest.mark.browser


def test_follow_then_talk_about_a_post(new_context, shot):
    make_user("alice")
    make_user("bob", display_name="Bob Builder")
    alice = log_in(new_context().new_page(), "alice")
    bob = log_in(new_context().new_page(), "bob")

    alice.goto("/@bob")
    alice.get_by_role("button", name="Follow", exact=True).click()
    expect(alice.get_by_role("button", name="Unfollow")).to_be_visible()
    expect(alice.get_by_role("link", name="1 follower", exact=True)).to_be_visible()
    shot(alice, "following")

    write_post(bob, "Can we fix it? Yes we can, with bricks and #mortar.")
    expect(bob.locator("article[data-post]").first).to_contain_text("Yes we can")
    (bob_post,) = post_ids(bob)

    # Fan-out to followers is the server's background worker's job: reload until it is done.
    alice.goto("/")
    card = alice.locator(f"#post-{bob_post}")
    reload_until(alice, lambda: card.count() == 1, message="Bob's post never reached Alice's home feed")
    expect(card).to_contain_text("Bob Builder")
    shot(alice, "home-feed")

    card.get_by_role("link", name=re.compile(r"^(now|\d+m)$")).click()
    expect(alice).to_have_url(f"/@bob/{bob_post}")
    expect(alice.get_by_role("heading", name="0 comments")).to_be_visible()
    alice.get_by_placeholder("Write a comment…").fill("Bricks need mortar, indeed.")
    alice.get_by_role("button", name="Comment", exact=True).click()
    expect(alice).to_have_url(f"/@bob/{bob_post}")
    comments = alice.get_by_role("region", name="Comments")
    expect(comments.get_by_role("heading", name="1 comment")).to_be_visible()
    expect(comments.locator("article")).to_contain_text("Bricks need mortar, indeed.")
    expect(alice.get_by_placeholder("Write a comment…")).to_have_value("")
    shot(alice, "commented")

    focus = alice.locator(f"#post-{bob_post}")
    focus.get_by_role("link", name="Echo with a comment").click()
    expect(alice).to_have_url(f"/compose?echo_of={bob_post}")
    expect(alice.get_by_role("heading", name="Echo with a comment")).to_be_visible()
    alice.get_by_placeholder("Add your comment to this echo…").fill("Everyone should read this.")
    alice.get_by_role("button", name="Echo", exact=True).click()
    expect(alice).to_have_url(re.compile(r"/@alice/\d+$"))
    echo = alice.locator("article.focus")
    expect(echo).to_contain_text("Everyone should read this.")
    expect(echo.locator("blockquote")).to_contain_text("Yes we can")
    shot(alice, "echoed")

    # Voting is an htmx button: the count changes in place, without loading a new page.
    alice.goto(f"/@bob/{bob_post}")
    alice.evaluate("window.__samePage = true")
    focus = alice.locator(f"#post-{bob_post}")
    expect(focus.get_by_role("button", name="Echo (1)")).to_be_visible()
    vote = focus.get_by_role("button", name=re.compile(r"^Vote"))
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(vote).to_have_accessible_name("Vote (0)")
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote).to_have_accessible_name("Vote (1)")
    expect(vote).to_have_text(re.compile(r"▲\s*1"))
    assert alice.evaluate("window.__samePage") is True, "voting reloaded the page"
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(vote).to_have_accessible_name("Vote (0)")
    vote.click()
    expect(vote).to_have_accessible_name("Vote (1)")

    bookmark = focus.get_by_role("button", name="Bookmark")
    expect(bookmark).to_have_attribute("aria-pressed", "false")
    bookmark.click()
    expect(bookmark).to_have_attribute("aria-pressed", "true")
    assert alice.evaluate("window.__samePage") is True, "bookmarking reloaded the page"
    shot(alice, "voted-and-bookmarked")

    # What htmx changed is what the server stored: a fresh load says the same.
    alice.reload()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote).to_have_accessible_name("Vote (1)")
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Bookmarks").click()
    expect(alice.get_by_role("heading", name="Bookmarks")).to_be_visible()
    assert post_ids(alice) == [bob_post]
    expect(alice.locator(f"#post-{bob_post}")).to_contain_text("Yes we can")
    shot(alice, "bookmarks")


def test_a_button_that_fails_says_why_and_keeps_the_buttons(new_context, shot):
    from rostra.posts import actions as posts

    bob = make_user("bob")
    make_user("alice")
    first = posts.create_post(bob, "This post will be gone before Alice votes.")
    second = posts.create_post(bob, "Alice's tab will be out of date for this one.")
    alice = log_in(new_context().new_page(), "alice")
    alert = alice.locator("#flash").get_by_role("alert")

    alice.goto(first.url)
    posts.delete_post(bob, first)
    alice.get_by_role("button", name="Vote (0)").click()
    expect(alert).to_contain_text("no longer there")
    expect(alice.get_by_role("button", name="Vote (0)")).to_be_visible()
    shot(alice, "deleted-meanwhile")

    # Logging in again elsewhere rotates the CSRF token; the old tab is told to reload.
    alice.goto(second.url)
    alice.context.clear_cookies(name="csrftoken")
    alice.get_by_role("button", name="Vote (0)").click()
    expect(alert).to_contain_text("Reload it and try again")
    expect(alice.get_by_role("button", name="Vote (0)")).to_be_visible()
    alice.reload()
    alice.get_by_role("button", name="Vote (0)").click()
    expect(alice.get_by_role("button", name="Vote (1)")).to_have_attribute("aria-pressed", "true")
