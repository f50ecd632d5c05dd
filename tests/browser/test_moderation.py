"""Story: a moderator works the queue in a real browser; the author reads the statement and appeals."""

import pytest
from playwright.sync_api import expect

from rostra.accounts.models import User
from rostra.moderation import actions
from rostra.moderation.models import Decision
from rostra.posts import actions as posts
from rostra.posts.models import Post, PostState
from tests.browser.steps import log_in
from tests.helpers import make_user

pytestmark = pytest.mark.browser

THREAT = "Tomorrow we storm the hall and the mayor will not leave it alive"


def test_a_moderator_removes_a_held_post_and_a_second_moderator_decides_the_appeal(new_context, shot):
    alice = make_user("alice")
    make_user("mod_one", role=User.Role.MODERATOR)
    make_user("mod_two", role=User.Role.MODERATOR)
    boss = make_user("boss", role=User.Role.ADMIN)
    actions.add_rule(boss.user, "keyword", "storm the hall", "hold", "violence")
    post = posts.create_post(alice, THREAT)
    assert post.state == PostState.HELD

    page = log_in(new_context().new_page(), "mod_one")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Moderation").click()
    expect(page.get_by_text(THREAT)).to_be_visible()
    shot(page, "queue")
    page.get_by_role("link", name="violence").first.click()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_text("assigned to mod_one")).to_be_visible()
    page.get_by_label("Facts relied on").fill("A plan to kill the mayor at a named place and time.")
    page.get_by_role("button", name="Remove post").click()
    expect(page.get_by_text("Nothing waiting.")).to_be_visible()
    assert not Post.objects.filter(pk=post.pk).exists()

    author = log_in(new_context().new_page(), "alice")
    author.goto("/notifications")
    author.get_by_role("link", name="See the decision and how to appeal").click()
    author.get_by_role("link", name="Post removed").click()
    expect(author.get_by_text("A plan to kill the mayor at a named place and time.")).to_be_visible()
    author.get_by_label("Why is this decision wrong?").fill("It is a line from my novel.")
    author.get_by_role("button", name="Send appeal").click()
    expect(author.get_by_text("Waiting for a moderator other than the one who decided.")).to_be_visible()
    shot(author, "appealed")

    second = log_in(new_context().new_page(), "mod_two")
    second.goto("/moderation")
    second.get_by_role("link", name="Appeal by @alice").click()
    second.get_by_label("Reasons").fill("No novel; the mayor is real.")
    second.get_by_role("button", name="Uphold").click()
    expect(second.get_by_text("Appeal rejected, decision upheld")).to_be_visible()
    assert Decision.objects.filter(account=alice, action="uphold").exists()
