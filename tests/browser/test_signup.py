"""Story 1: someone signs up, gets told what is wrong with the form, and writes a first post."""

import pytest
from playwright.sync_api import expect

from tests.browser.steps import post_ids
from tests.helpers import make_user

pytestmark = pytest.mark.browser

STRONG_PASSWORD = "violet harbour lantern 77"


def fill_signup(page, username, password):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()


def test_sign_up_then_write_a_first_post(page, shot):
    make_user("taken")
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Sign up")).to_be_visible()

    fill_signup(page, "taken", STRONG_PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("That username is taken.")
    expect(page.get_by_label("Username")).to_have_value("taken")
    expect(page.get_by_label("Username")).to_have_attribute("aria-invalid", "true")
    shot(page, "username-taken")

    fill_signup(page, "newcomer", "password")
    expect(page.get_by_role("alert")).to_contain_text("too short")
    expect(page.get_by_role("alert")).to_contain_text("too common")
    expect(page.get_by_label("Username")).to_have_value("newcomer")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    shot(page, "weak-password")

    fill_signup(page, "newcomer", STRONG_PASSWORD)
    expect(page).to_have_url("/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Profile")).to_have_attribute("href", "/@newcomer")
    expect(page.get_by_text("Your home feed is empty")).to_be_visible()

    box = page.get_by_label("What do you want to say?")
    box.fill("Hello, Rostra! My very first post.")
    page.get_by_role("button", name="Post", exact=True).click()
    first = page.locator("article[data-post]").first
    expect(first).to_contain_text("Hello, Rostra! My very first post.")
    expect(first).to_contain_text("@newcomer")
    assert len(post_ids(page)) == 1
    expect(page.get_by_label("What do you want to say?")).to_have_value("")
    shot(page, "first-post")
