"""Story 6: blocking someone takes them out of your feed, and you out of theirs."""

import pytest
from playwright.sync_api import expect

from rostra.accounts import actions as accounts
from rostra.posts import actions as posts
from tests.browser.steps import log_in, post_ids
from tests.helpers import make_user

pytestmark = pytest.mark.browser


def test_blocking_hides_both_ways(new_context, shot):
    alice = make_user("alice")
    bob = make_user("bob")
    accounts.follow(alice, bob)
    accounts.follow(bob, alice)
    bobs = posts.create_post(bob, "A post from Bob that Alice will stop seeing.")
    alices = posts.create_post(alice, "A post from Alice that Bob will stop seeing.")

    page = log_in(new_context().new_page(), "alice")
    assert sorted(post_ids(page)) == sorted([alices.pk, bobs.pk])

    page.goto("/@bob")
    page.get_by_role("button", name="Block").click()
    expect(page.get_by_role("button", name="Unblock")).to_be_visible()
    expect(page.get_by_role("button", name="Follow", exact=True)).to_have_count(0)
    expect(page.get_by_text("You cannot see this account's posts.")).to_be_visible()
    shot(page, "blocked")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(page.locator(f"#post-{alices.pk}")).to_be_visible()
    assert post_ids(page) == [alices.pk]

    # Bob, in a browser of his own, sees Alice's profile without her posts or a Follow button.
    bob_page = log_in(new_context().new_page(), "bob")
    assert post_ids(bob_page) == [bobs.pk]
    bob_page.goto("/@alice")
    expect(bob_page.get_by_text("You cannot see this account's posts.")).to_be_visible()
    expect(bob_page.locator(f"#post-{alices.pk}")).to_have_count(0)
    expect(bob_page.get_by_role("button", name="Follow", exact=True)).to_have_count(0)
    shot(bob_page, "seen-by-the-blocked")
    assert bob_page.goto(alices.url).status == 404
