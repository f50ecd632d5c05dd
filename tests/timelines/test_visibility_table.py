"""Who sees a post where: every visibility, every relationship, every place, one cell a test.

The world of each test:
- ann writes the post under test, ``P``: "zebracorn #tabletag @mia @bea @ben", top-level;
- olga writes a public post, and ann answers it with ``R`` (same visibility, same mentions),
  for the "thread" column;
- fay follows ann; nick does not; mia does not follow ann but is mentioned;
- bea followed ann and is mentioned, but ann blocks her; ben followed ann and is mentioned,
  but he blocks ann. Both blocks happen before ann writes, so fan-out and notifications
  must respect them (block after the fact is covered in tests/accounts).

Places:
- post      can_see(viewer, P): the post's own page
- home      P is in the viewer's home feed
- profile   P is on ann's profile as the viewer sees it
- discover  P is in discover (newest)
- hashtag   P is on the #tabletag page
- search    a search for "zebracorn" finds P
- thread    R is shown under olga's post on its page
- notified  the viewer has a "mention" notification for P

The rules (rostra/posts/queries.py): public posts are seen by everyone but across a block;
unlisted ones the same, but they are left out of discover, hashtag pages and other people's
searches; followers-only posts by followers, the author and the people mentioned;
mentioned-only (direct) posts by the author and the people mentioned. A home feed holds the
posts of people one follows, one's own, and followers-only or direct posts that mention one.
"yes"/"no" is the expected answer; "-" is a cell that does not exist (an anonymous visitor
has no home feed and gets no notifications).
"""

import pytest

from rostra.accounts import actions as accounts
from rostra.posts import actions as posts
from tests import reads
from tests.helpers import make_user

TABLE = """
visibility  viewer             post  home  profile  discover  hashtag  search  thread  notified
public      anonymous          yes   -     yes      yes       yes      yes     yes     -
public      author             yes   yes   yes      yes       yes      yes     yes     no
public      follower           yes   yes   yes      yes       yes      yes     yes     no
public      non_follower       yes   no    yes      yes       yes      yes     yes     no
public      mentioned          yes   no    yes      yes       yes      yes     yes     yes
public      blocked_by_author  no    no    no       no        no       no      no      no
public      blocking_author    no    no    no       no        no       no      no      no

unlisted    anonymous          yes   -     yes      no        no       no      yes     -
unlisted    author             yes   yes   yes      no        no       yes     yes     no
unlisted    follower           yes   yes   yes      no        no       no      yes     no
unlisted    non_follower       yes   no    yes      no        no       no      yes     no
unlisted    mentioned          yes   no    yes      no        no       no      yes     yes
unlisted    blocked_by_author  no    no    no       no        no       no      no      no
unlisted    blocking_author    no    no    no       no        no       no      no      no

followers   anonymous          no    -     no       no        no       no      no      -
followers   author             yes   yes   yes      no        no       yes     yes     no
followers   follower           yes   yes   yes      no        no       yes     yes     no
followers   non_follower       no    no    no       no        no       no      no      no
followers   mentioned          yes   yes   yes      no        no       yes     yes     yes
followers   blocked_by_author  no    no    no       no        no       no      no      no
followers   blocking_author    no    no    no       no        no       no      no      no

direct      anonymous          no    -     no       no        no       no      no      -
direct      author             yes   yes   yes      no        no       yes     yes     no
direct      follower           no    no    no       no        no       no      no      no
direct      non_follower       no    no    no       no        no       no      no      no
direct      mentioned          yes   yes   yes      no        no       yes     yes     yes
direct      blocked_by_author  no    no    no       no        no       no      no      no
direct      blocking_author    no    no    no       no        no       no      no      no
"""


def parse(table):
    lines = [line.split() for line in table.strip().splitlines() if line.strip()]
    header, rows = lines[0], lines[1:]
    places = header[2:]
    cells = []
    for row in rows:
        visibility, viewer, answers = row[0], row[1], row[2:]
        assert len(answers) == len(places), row
        for place, answer in zip(places, answers):
            if answer != "-":
                cells.append(pytest.param(visibility, viewer, place, answer == "yes", id=f"{visibility}-{viewer}-{place}"))
    return places, cells


PLACES, CELLS = parse(TABLE)
VIEWERS = {"anonymous": None, "author": "ann", "follower": "fay", "non_follower": "nick", "mentioned": "mia",
           "blocked_by_author": "bea", "blocking_author": "ben"}


@pytest.mark.django_db
def test_the_table_is_complete():
    """Every visibility and relationship has a row, so no cell is silently left out."""
    rows = {(c.values[0], c.values[1]) for c in CELLS}
    assert rows == {(v, r) for v in ("public", "unlisted", "followers", "direct") for r in VIEWERS}
    assert len(CELLS) == 4 * 7 * 8 - 4 * 2


class World:
    """The people and posts described at the top, with one P and one R per visibility."""

    def __init__(self):
        people = {name: make_user(name) for name in ("ann", "fay", "nick", "mia", "bea", "ben", "olga")}
        self.people = people
        ann = people["ann"]
        for name in ("fay", "bea", "ben"):
            accounts.follow(people[name], ann)
        accounts.block(ann, people["bea"])
        accounts.block(people["ben"], ann)
        self.root = posts.create_post(people["olga"], "olga asks a question")
        self.post, self.reply = {}, {}
        for visibility in ("public", "unlisted", "followers", "direct"):
            self.post[visibility] = posts.create_post(ann, "zebracorn #tabletag @mia @bea @ben", visibility=visibility)
            self.reply[visibility] = posts.create_post(
                ann, "an answer @mia @bea @ben", visibility=visibility, in_reply_to=self.root
            )

    def viewer(self, relationship):
        name = VIEWERS[relationship]
        return None if name is None else self.people[name]

    def sees_in(self, place, visibility, viewer):
        post, author = self.post[visibility], self.people["ann"]
        if place == "post":
            return reads.sees(viewer, post)
        if place == "home":
            return post.pk in reads.home(viewer)
        if place == "profile":
            return post.pk in reads.profile(viewer, author)
        if place == "discover":
            return post.pk in reads.discover(viewer)
        if place == "hashtag":
            return post.pk in reads.hashtag(viewer, "tabletag")
        if place == "search":
            return post.pk in reads.search(viewer, "zebracorn")
        if place == "thread":
            return self.reply[visibility].pk in reads.thread(viewer, self.root)
        if place == "notified":
            return ("mention", "ann", post.pk) in reads.notifications(viewer)
        raise AssertionError(place)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once and only read by the cells, which saves building it 217 times.

    The cells run inside a transaction that is rolled back (plain ``django_db``); the world
    itself is committed, so everything after-commit (fan-out, notifications) ran for real,
    and it is flushed away when the module ends.
    """
    from django.core.management import call_command
    from django.test import override_settings

    with django_db_blocker.unblock():
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            built = World()
        yield built
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
@pytest.mark.parametrize("visibility,relationship,place,expected", CELLS)
def test_visibility(world, visibility, relationship, place, expected):
    assert world.sees_in(place, visibility, world.viewer(relationship)) is expected
