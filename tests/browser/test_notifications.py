"""Story 5: someone follows, votes and comments; the author sees it in the nav and the list."""

import re

import pytest
from playwright.sync_api import expect

from rostra.posts import actions as posts
from tests.browser.steps import log_in, reload_until
from tests.helpers import make_user

pytestmark = pytest.mark.browser


def test_follows_votes_and_comments_reach_the_author(new_context, shot):
    author = make_user("writer")
    post = posts.create_post(author, "Notes on writing every day.")
    make_user("fan")
    writer = log_in(new_context().new_page(), "writer")
    nav = writer.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Notifications", exact=True)).to_be_visible()

    fan = log_in(new_context().new_page(), "fan")
    fan.goto("/@writer")
    fan.get_by_role("button", name="Follow", exact=True).click()
    expect(fan.get_by_role("button", name="Unfollow")).to_be_visible()
    fan.goto(post.url)
    fan.get_by_role("button", name=re.compile(r"^Vote")).click()
    expect(fan.get_by_role("button", name=re.compile(r"^Vote"))).to_have_attribute("aria-pressed", "true")
    fan.get_by_placeholder("Write a comment…").fill("Every day? Even on Sundays?")
    fan.get_by_role("button", name="Comment", exact=True).click()
    expect(fan.get_by_role("heading", name="1 comment")).to_be_visible()

    # Notifications are written by the server's worker; the badge counts them once there.
    badge = nav.get_by_role("link", name="Notifications 3 unread")
    reload_until(writer, lambda: badge.count() == 1, message="the unread badge never said 3")
    expect(badge.locator(".badge-count [aria-hidden=true]")).to_have_text("3")
    shot(writer, "badge")

    badge.click()
    expect(writer.get_by_role("heading", name="Notifications")).to_be_visible()
    items = writer.locator(".notification")
    expect(items).to_have_count(3)
    expect(items.filter(has_text="followed you")).to_contain_text("fan")
    expect(items.filter(has_text="voted for your post")).to_contain_text("Notes on writing every day.")
    expect(items.filter(has_text="commented on your post")).to_contain_text("Even on Sundays?")
    shot(writer, "list")

    # Looking at them clears the badge.
    writer.goto("/")
    expect(nav.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    expect(writer.locator(".badge-count")).to_have_count(0)
