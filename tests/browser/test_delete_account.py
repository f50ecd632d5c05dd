"""Story 9: someone deletes their account; they are logged out and their profile is gone."""

import pytest
from playwright.sync_api import expect

from rostra.posts import actions as posts
from tests.browser.steps import log_in
from tests.helpers import make_user

pytestmark = pytest.mark.browser


def test_deleting_the_account_logs_out_and_removes_the_profile(page, shot):
    leaver = make_user("leaver")
    post = posts.create_post(leaver, "I will not be here long.")
    log_in(page, "leaver")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Delete account").click()
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    confirm = page.get_by_label("Type your password to confirm")
    delete = page.get_by_role("button", name="Delete my account for good")

    confirm.fill("not my password at all")
    delete.click()
    expect(page.get_by_role("alert")).to_have_text("That password is not right.")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile")).to_be_visible()
    shot(page, "wrong-password")

    confirm.fill("a long test password 42")
    delete.click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    expect(nav.get_by_role("link", name="Profile")).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("Your account was deleted")
    shot(page, "deleted")

    assert page.goto("/@leaver").status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert page.goto(post.url).status == 404
    page.goto("/login")
    page.get_by_label("Username").fill("leaver")
    page.get_by_label("Password").fill("a long test password 42")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("That username and password do not match.")
