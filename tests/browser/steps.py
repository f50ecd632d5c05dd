"""Steps the browser stories share: logging in, writing a post, waiting for the worker."""

from playwright.sync_api import expect

from tests.helpers import PASSWORD, eventually


def log_in(page, username, password=PASSWORD):
    """Sign in through the real /login form, as a person would, and land on the home feed."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile")).to_be_visible()
    return page


def post_ids(page):
    """IDs of the posts on the page, top to bottom (each card is ``<article id="post-ID">``)."""
    ids = page.locator("article[data-post]").evaluate_all("articles => articles.map((a) => a.id)")
    return [int(i.removeprefix("post-")) for i in ids]


def reload_until(page, check, timeout=20.0, message="the page never showed what was expected"):
    """Reload ``page`` until ``check()`` is true: for what the server's worker does later."""

    def reloaded_check():
        if check():
            return True
        page.reload()
        return check()

    return eventually(reloaded_check, timeout=timeout, interval=0.2, message=message)


def write_post(page, text):
    """Write a post from the compose box of the page that is open (home, thread or /compose)."""
    box = page.locator("#compose")
    box.get_by_role("textbox").first.fill(text)
    box.get_by_role("button", name="Post", exact=True).click()
