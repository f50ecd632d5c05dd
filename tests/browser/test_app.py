"""Story 8: the web app itself: reading without JavaScript, the keyboard, installing it,
a clean console, and a phone's screen."""

import re

import pytest
from playwright.sync_api import expect

from rostra.accounts import actions as accounts
from rostra.posts import actions as posts
from tests.browser.steps import log_in, post_ids
from tests.helpers import make_user
from tests.images import jpeg_upload

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def conversation(transactional_db):
    """Two people, a few posts, a comment, an image, a hashtag: pages with something on them.

    Committed (``transactional_db``), so the server in its own process sees them.
    """
    alice = make_user("alice", display_name="Alice Liddell", bio="Curiouser and curiouser.")
    bob = make_user("bob")
    accounts.follow(alice, bob)
    photo = posts.upload_media(bob, jpeg_upload(size=(800, 600)), "A rabbit hole")
    first = posts.create_post(bob, "Down the rabbit hole we go. #wonderland", media_ids=[photo.pk])
    comment = posts.create_post(alice, "Mind the fall!", in_reply_to=first)
    second = posts.create_post(
        bob, "A long word that must wrap on a phone: " + "Supercalifragilisticexpialidocious" * 3
    )
    return {"first": first, "comment": comment, "second": second}


def test_reading_works_without_javascript(new_context, conversation, shot):
    page = new_context(java_script_enabled=False).new_page()
    first, comment = conversation["first"], conversation["comment"]

    page.goto("/discover")
    expect(page.get_by_role("heading", name="Discover")).to_be_visible()
    expect(page.locator(f"#post-{first.pk}")).to_contain_text("Down the rabbit hole")
    shot(page, "discover")

    page.locator(f"#post-{first.pk}").get_by_role("link", name="bob", exact=True).click()
    expect(page).to_have_url("/@bob")
    expect(page.get_by_role("heading", name="bob")).to_be_visible()
    assert sorted(post_ids(page)) == sorted([conversation["second"].pk, first.pk])

    page.locator(f"#post-{first.pk}").get_by_role("link", name=re.compile(r"^Comment \(1\)")).click()
    expect(page).to_have_url(re.compile(rf"/@bob/{first.pk}#reply$"))
    expect(page.get_by_role("img", name="A rabbit hole")).to_be_visible()
    expect(page.locator(f"#post-{comment.pk}")).to_contain_text("Mind the fall!")
    expect(page.get_by_role("link", name="Log in")).to_have_count(2)
    shot(page, "thread")

    # Forms post without JavaScript too: logging in and voting.
    log_in(page, "alice")
    page.goto(first.url)
    page.locator(f"#post-{first.pk}").get_by_role("button", name="Vote (0)").click()
    expect(page).to_have_url(first.url)
    expect(page.locator(f"#post-{first.pk}").get_by_role("button", name="Vote (1)")).to_have_attribute(
        "aria-pressed", "true"
    )


def test_keyboard_reaches_the_compose_box_and_moves_between_posts(page, conversation, shot):
    log_in(page, "alice")
    expect(page.locator("article[data-post]")).to_have_count(3)

    def tab_to(check, limit=40):
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(check):
                return
        raise AssertionError(f"Tab never reached {check}")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    tab_to("document.activeElement.id === 'compose-text'")
    page.keyboard.type("Typed without a mouse.")
    tab_to("document.activeElement.matches('#compose button[type=submit]')")
    expect(page.get_by_role("button", name="Post", exact=True)).to_be_focused()
    tab_to("document.activeElement.matches('article[data-post] .actions button')")
    shot(page, "tabbed-to-a-button", full_page=False)

    # j and k move from post to post (not while typing in a field).
    ids = post_ids(page)
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("j")
    expect(page.locator(f"#post-{ids[0]}")).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator(f"#post-{ids[1]}")).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator(f"#post-{ids[2]}")).to_be_focused()
    page.keyboard.press("k")
    expect(page.locator(f"#post-{ids[1]}")).to_be_focused()
    shot(page, "j-k", full_page=False)
    page.keyboard.press("n")
    expect(page.get_by_label("What do you want to say?")).to_be_focused()
    page.keyboard.press("j")
    expect(page.get_by_label("What do you want to say?")).to_have_value("Typed without a mouse.j")


def test_installable_with_manifest_and_service_worker(page, shot):
    page.goto("/discover")
    manifest_url = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.request.get(manifest_url)
    assert manifest.ok
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["name"] and data["short_name"]
    assert data["start_url"] == "/" and data["display"] == "standalone"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        response = page.request.get(icon["src"])
        assert response.ok and response.headers["content-type"] == "image/png", icon

    scope = page.evaluate(
        """() => Promise.race([
            navigator.serviceWorker.ready.then((r) => r.scope),
            new Promise((_, reject) => setTimeout(() => reject(new Error("service worker not ready")), 8000)),
        ])"""
    )
    assert scope == page.url.split("/discover")[0] + "/"
    # The shell it cached is there for the offline page.
    assert page.evaluate("caches.match('/offline').then((r) => !!r)")

    # Once it controls the page, losing the network shows the offline page, not an error.
    page.reload()
    assert page.evaluate("!!navigator.serviceWorker.controller")
    page.context.set_offline(True)
    page.goto("/discover")
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    shot(page, "offline")
    page.context.set_offline(False)


def test_pages_have_no_console_errors_or_csp_violations(page, page_problems, conversation):
    log_in(page, "alice")
    first, comment = conversation["first"], conversation["comment"]
    for path in (
        "/", "/discover", "/discover?sort=popular", "/tags/wonderland", "/search?q=rabbit", "/@bob",
        "/@bob/followers", "/@alice/replies", first.url, f"{comment.url}/edit", "/notifications", "/bookmarks",
        f"/compose?echo_of={first.pk}", f"/compose?in_reply_to={first.pk}", "/settings/profile",
        "/settings/filters", "/settings/relationships", "/settings/delete", "/follow-requests", "/offline",
    ):
        assert page.goto(path).status == 200, path
        if path == first.url:
            # htmx swaps in server-rendered HTML: that must pass the policy too.
            vote = page.locator(f"#post-{first.pk}").get_by_role("button", name=re.compile(r"^Vote"))
            vote.click()
            expect(vote).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__cspViolations") == []
    assert page_problems.console_errors == []
    assert page_problems.page_errors == []


@pytest.mark.parametrize(
    "path",
    ["/", "/@alice", "thread", "/settings/profile", "/notifications"],
    ids=["home", "profile", "thread", "settings", "notifications"],
)
def test_phone_screen_has_no_sideways_scroll(new_context, conversation, shot, path):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "alice")
    page.goto(conversation["first"].url if path == "thread" else path)
    width, scroll_width = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
    shot(page, "phone")
    assert scroll_width <= width, f"{path} scrolls sideways on a phone: {scroll_width}px in {width}px"
