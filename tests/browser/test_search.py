"""Story 4: finding posts by a word, posts by a #hashtag, and people by their name."""

import pytest
from playwright.sync_api import expect

from rostra.posts import actions as posts
from tests.browser.steps import log_in, post_ids
from tests.helpers import make_user

pytestmark = pytest.mark.browser


def search_for(page, text):
    """Type into the search box at the top of every page and press Enter."""
    box = page.get_by_role("banner").get_by_role("searchbox", name="Search")
    box.fill(text)
    box.press("Enter")


def test_search_finds_words_hashtags_and_people(page, shot):
    cook = make_user("quentin", display_name="Quentin Cook")
    jam = posts.create_post(cook, "My grandmother's marmalade needs bitter oranges. #Breakfast")
    other = posts.create_post(cook, "Toast is better with butter. #breakfast")
    posts.create_post(cook, "Nothing about food here.")
    make_user("reader")
    log_in(page, "reader")

    search_for(page, "marmalade")
    expect(page).to_have_url("/search?q=marmalade")
    expect(page.get_by_role("heading", name="Search", exact=True)).to_be_visible()
    # One search box on the search page: the one at the top, still holding the words.
    expect(page.get_by_role("searchbox")).to_have_count(1)
    expect(page.get_by_role("searchbox")).to_have_value("marmalade")
    expect(page.locator(f"#post-{jam.pk}")).to_contain_text("bitter oranges")
    assert post_ids(page) == [jam.pk]
    shot(page, "word")

    search_for(page, "#breakfast")
    expect(page).to_have_url("/tags/breakfast")
    expect(page.get_by_role("heading", name="#breakfast")).to_be_visible()
    expect(page.locator(f"#post-{jam.pk}")).to_be_visible()
    assert sorted(post_ids(page)) == sorted([other.pk, jam.pk])
    shot(page, "hashtag")

    search_for(page, "quentin")
    people = page.get_by_role("heading", name="People").locator("..")
    expect(people.get_by_role("link", name="Quentin Cook")).to_have_attribute("href", "/@quentin")
    people.get_by_role("link", name="Quentin Cook").click()
    expect(page).to_have_url("/@quentin")
    expect(page.get_by_role("heading", name="Quentin Cook")).to_be_visible()
    shot(page, "person")

    search_for(page, "nosuchwordanywhere")
    expect(page.get_by_text("No posts match “nosuchwordanywhere”.")).to_be_visible()
