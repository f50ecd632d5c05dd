"""Fixtures for the browser stories: one Chromium for the session, fresh pages per test.

Every story runs against ``live_rostra``, the real server in its own process. A page a test
opens is watched for uncaught script errors and content-security-policy violations; any of
those fails the test, whatever it was checking.
"""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio loop running on this thread; the test's own ORM
# calls (make_user, create_post) are ordinary blocking calls, so Django's guard against
# calling the ORM "from async code" does not apply here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.browser.steps import log_in  # noqa: E402,F401  (the log-in helper, for tests)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 15_000  # generous: the machine is often busy with other test runs

# Recorded in the page itself: the console message Chromium prints for a CSP violation is
# easy to miss, the DOM event is not.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""

expect.set_options(timeout=TIMEOUT_MS)




@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProblems:
    """What went wrong in the pages of one test, as the browser reported it."""

    def __init__(self):
        self.console_errors = []
        self.page_errors = []
        self.pages = []

    def watch(self, page):
        self.pages.append(page)
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(f"{page.url}: {msg.text}"))
        page.on("pageerror", lambda exc: self.page_errors.append(f"{page.url}: {exc}"))

    def csp_violations(self):
        found = []
        for page in self.pages:
            if page.is_closed():
                continue
            try:
                found += page.evaluate("window.__cspViolations || []")
            except Exception:  # a page in the middle of navigating, or without JavaScript
                continue
        csp_in_console = [m for m in self.console_errors if "Content Security Policy" in m]
        return found + csp_in_console


@pytest.fixture
def page_problems():
    return PageProblems()


@pytest.fixture
def new_context(browser, live_rostra, page_problems):
    """A factory of browser contexts (separate cookie jars: one per person) on the live server."""
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=live_rostra.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        if options.get("java_script_enabled", True):
            context.add_init_script(RECORD_CSP_VIOLATIONS)
        context.on("page", page_problems.watch)
        contexts.append(context)
        return context

    yield make
    problems = page_problems.page_errors + page_problems.csp_violations()
    for context in contexts:
        context.close()
    assert not problems, f"the browser reported script errors or CSP violations: {problems}"


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def shot(request):
    """``shot(page, "step")`` saves test-artifacts/screenshots/<test-name>-<step>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")

    def take(page, step, full_page=True):
        path = SCREENSHOTS / f"{test_name}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing story shows the end of the server's log: errors there explain most failures."""
    report = yield
    server = item.funcargs.get("live_rostra") if hasattr(item, "funcargs") else None
    if report.failed and server is not None:
        report.sections.append(("live server log (last 5000 characters)", server.log()))
    return report
