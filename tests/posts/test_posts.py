"""Writing, editing and deleting posts; comments, echoes, votes, bookmarks, threads."""

import pytest
from django.test import override_settings

from rostra.accounts import actions as accounts
from rostra.core.errors import ActionError, Forbidden, NotFound
from rostra.core.models import InstanceSettings
from rostra.posts import actions
from rostra.posts.models import Bookmark, Hashtag, Mention, Post, PostEdit, PostHashtag, PostState, Visibility, Vote
from rostra.timelines import queries
from rostra.timelines.models import FeedEntry, Notification
from tests import reads
from tests.helpers import make_user
from tests.images import jpeg_upload
from tests.reads import fresh, home, indexed, moment, notifications, reload, sees


def set_instance(**values):
    settings = InstanceSettings.current()
    for key, value in values.items():
        setattr(settings, key, value)
    settings.save()


def files_on_disk(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# --- writing ------------------------------------------------------------------------------


def test_a_new_post_is_published_counted_and_in_the_authors_feed(alice):
    post = actions.create_post(alice, "  Hello, world  ")
    post = reload(post)
    assert post.text == "Hello, world"
    assert post.html == "<p>Hello, world</p>"
    assert post.state == PostState.PUBLISHED
    assert post.visibility == Visibility.PUBLIC
    assert fresh(alice).posts_count == 1
    assert fresh(alice).last_post_at == post.created_at
    assert home(alice) == [post.pk]
    assert post.url == f"/@alice/{post.pk}"


def test_the_length_limit_is_the_instances_setting(alice):
    actions.create_post(alice, "x" * 1000)
    with pytest.raises(ActionError) as exc:
        actions.create_post(alice, "x" * 1001)
    assert exc.value.status == 422 and exc.value.field == "text"
    assert "at most 1000 characters; this one has 1001" in exc.value.message
    set_instance(max_post_length=50)
    actions.create_post(alice, "y" * 50)
    with pytest.raises(ActionError) as exc:
        actions.create_post(alice, "y" * 51)
    assert "at most 50" in exc.value.message
    set_instance(max_post_length=5000)
    actions.create_post(alice, "z" * 5000)
    assert sorted(len(p.text) for p in Post.objects.all()) == [50, 1000, 5000]


def test_the_limit_counts_characters_not_bytes(alice):
    set_instance(max_post_length=10)
    post = actions.create_post(alice, "é" * 5 + "🙂" * 5)
    assert len(reload(post).text) == 10


def test_a_huge_post_is_refused_cleanly(alice):
    with pytest.raises(ActionError) as exc:
        actions.create_post(alice, "x" * 100_000)
    assert exc.value.status == 422
    assert "100000" in exc.value.message
    assert not Post.objects.exists()
    assert fresh(alice).posts_count == 0


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t", "\x00\x00", "\u0007\u001b", "\ud800"])
def test_an_empty_post_is_refused(alice, text):
    with pytest.raises(ActionError) as exc:
        actions.create_post(alice, text)
    assert exc.value.message == "Write something first."
    assert not Post.objects.exists()


def test_lone_surrogates_and_nul_bytes_are_dropped_not_fatal(alice):
    post = actions.create_post(alice, "half \ud800 a pair\x00 and a NUL", spoiler_text="cw\x00\udfff")
    post = reload(post)
    assert post.text == "half  a pair and a NUL"
    assert post.spoiler_text == "cw"
    assert "\x00" not in post.html
    edited = actions.edit_post(alice, post, "again \udc00\x00 fine")
    assert reload(edited).text == "again  fine"


def test_control_characters_in_the_language_tag_are_dropped(alice):
    post = actions.create_post(alice, "bonjour", language="f\x00r\ud800")
    assert reload(post).language == "fr"


def test_odd_but_valid_unicode_is_kept(alice):
    text = "Zalgo: Z\u0351\u0334a\u0360l\u0315g\u0334o, RTL: \u202eabc, emoji: 👩\u200d👩\u200d👧, CJK: 漢字"
    post = reload(actions.create_post(alice, text))
    assert "漢字" in post.text and "👩\u200d👩\u200d👧" in post.text
    assert "\u202e" in post.text


def test_html_and_script_in_a_post_are_shown_as_text(alice):
    post = actions.create_post(alice, '<script>alert("hi")</script> <img src=x onerror=alert(1)> & <b>bold</b>')
    html = reload(post).html
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;img" in html and "&amp;" in html


def test_hashtags_mentions_and_links_become_anchors(alice, bob):
    post = actions.create_post(
        alice, "Hi @Bob and @nobody, see https://example.org/page?a=1&b=2. #Rostra #rostra #Café"
    )
    html = reload(post).html
    assert '<a href="/@bob" class="mention" rel="nofollow noopener noreferrer">@Bob</a>' in html
    assert "@nobody" in html and 'href="/@nobody"' not in html
    assert 'href="https://example.org/page?a=1&amp;b=2"' in html
    assert "</a>. " in html  # the full stop is not part of the link
    assert '<a href="/tags/rostra" class="hashtag"' in html
    assert '<a href="/tags/café" class="hashtag"' in html
    assert sorted(Hashtag.objects.values_list("name", flat=True)) == ["café", "rostra"]
    assert list(Mention.objects.values_list("account__username", flat=True)) == ["bob"]
    assert notifications(bob) == [("mention", "alice", post.pk)]


def test_javascript_links_are_not_links(alice):
    html = reload(actions.create_post(alice, "click javascript:alert(1) or data:text/html,hi")).html
    assert "<a" not in html


def test_a_content_warning_marks_the_post_sensitive(alice):
    warned = reload(actions.create_post(alice, "the ending", spoiler_text="  film spoilers "))
    assert (warned.spoiler_text, warned.sensitive) == ("film spoilers", True)
    flagged = reload(actions.create_post(alice, "a picture", sensitive=True))
    assert (flagged.spoiler_text, flagged.sensitive) == ("", True)
    plain = reload(actions.create_post(alice, "nothing to hide"))
    assert plain.sensitive is False
    with pytest.raises(ActionError) as exc:
        actions.create_post(alice, "text", spoiler_text="w" * 201)
    assert exc.value.field == "spoiler_text"


def test_an_unknown_visibility_is_refused(alice):
    with pytest.raises(ActionError) as exc:
        actions.create_post(alice, "hi", visibility="everyone")
    assert exc.value.field == "visibility"
    assert not Post.objects.exists()


@override_settings(ROSTRA_RATE_LIMITS={"signup": "5/3600", "login": "10/300", "post": "3/60"})
def test_posting_too_fast_is_refused_until_the_window_passes(alice, bob):
    for i in range(3):
        actions.create_post(alice, f"post {i}")
    with pytest.raises(ActionError) as exc:
        actions.create_post(alice, "one too many")
    assert exc.value.status == 429
    assert Post.objects.filter(author=alice).count() == 3
    actions.create_post(bob, "bob is not held back by alice")


# --- editing ------------------------------------------------------------------------------


def test_an_edit_keeps_the_earlier_version_in_the_history(alice):
    post = actions.create_post(alice, "first words #old")
    edited = actions.edit_post(alice, post, "second words #new", spoiler_text="cw")
    edited = reload(edited)
    assert edited.text == "second words #new"
    assert "second words" in edited.html and "first" not in edited.html
    assert edited.edited_at is not None and edited.sensitive
    actions.edit_post(alice, edited, "third words")
    history = list(PostEdit.objects.filter(post=post).values_list("text", "spoiler_text"))
    assert history == [("first words #old", ""), ("second words #new", "cw")]
    assert reads.hashtag(None, "old") == [] and reads.hashtag(None, "new") == []
    assert Post.objects.count() == 1


def test_an_edit_moves_the_post_between_hashtag_pages(alice):
    post = actions.create_post(alice, "about #cats")
    actions.edit_post(alice, post, "about #dogs really")
    assert reads.hashtag(None, "cats") == []
    assert reads.hashtag(None, "dogs") == [post.pk]


def test_an_edit_that_changes_nothing_adds_no_history(alice):
    post = actions.create_post(alice, "same")
    actions.edit_post(alice, post, "  same ")
    assert not PostEdit.objects.exists()
    assert reload(post).edited_at is None


def test_only_the_author_edits(alice, bob):
    post = actions.create_post(alice, "mine")
    moderator = make_user("mod", role="moderator")
    for other in (bob, moderator):
        with pytest.raises(Forbidden):
            actions.edit_post(other, post, "not yours")
    assert reload(post).text == "mine"
    assert not PostEdit.objects.exists()


def test_a_bad_edit_changes_nothing(alice):
    post = actions.create_post(alice, "keep me")
    with pytest.raises(ActionError):
        actions.edit_post(alice, post, "x" * 1001)
    with pytest.raises(ActionError):
        actions.edit_post(alice, post, "   ")
    assert reload(post).text == "keep me"
    assert not PostEdit.objects.exists()


def test_a_plain_echo_cannot_be_edited(alice, bob):
    echo = actions.echo(bob, actions.create_post(alice, "original"))
    with pytest.raises(ActionError):
        actions.edit_post(bob, echo, "words added later")
    assert reload(echo).text == ""


def test_a_mention_added_by_an_edit_lets_the_person_see_a_direct_post(alice, bob):
    post = actions.create_post(alice, "note to self", visibility=Visibility.DIRECT)
    assert not sees(bob, post)
    actions.edit_post(alice, post, "note to @bob")
    assert sees(bob, post)


def test_people_named_by_an_edit_are_told_once_and_get_the_post_in_their_feed(alice, bob, carol):
    post = actions.create_post(alice, "dinner plans, @carol?")
    assert notifications(carol) == [("mention", "alice", post.pk)]
    actions.edit_post(alice, post, "dinner plans, @carol and @bob?")
    assert notifications(bob) == [("mention", "alice", post.pk)]
    assert post.pk in home(bob)
    # Carol was already named: the edit does not tell her again, nor a second edit bob.
    actions.edit_post(alice, post, "dinner plans, @carol and @bob? 7pm")
    assert notifications(carol) == [("mention", "alice", post.pk)]
    assert len(notifications(bob)) == 1


# --- deleting -----------------------------------------------------------------------------


@pytest.fixture
def busy_post(alice, bob, carol, media_root):
    """A post of Alice's with a picture, a tag, a mention, a vote, a comment and echoes."""
    accounts.follow(bob, alice)
    photo = actions.upload_media(alice, jpeg_upload(), "a photo")
    post = actions.create_post(alice, "unforgettable sunset #sunset @carol", media_ids=[photo.pk])
    actions.vote(bob, post)
    actions.bookmark(bob, post)
    reply = actions.create_post(bob, "lovely", in_reply_to=post)
    echo = actions.echo(carol, post)
    quote = actions.echo(carol, post, text="carol quotes unforgettable")
    assert len(files_on_disk(media_root)) == 2
    return post, reply, echo, quote


def test_deleting_a_post_removes_it_from_everywhere(alice, bob, carol, busy_post, media_root):
    post, reply, echo, quote = busy_post
    assert post.pk in home(bob)
    assert reads.search(bob, "unforgettable")
    actions.delete_post(alice, post)
    assert not Post.objects.filter(pk__in=[post.pk, echo.pk, quote.pk]).exists()
    assert files_on_disk(media_root) == []
    assert home(bob) == [reply.pk]
    assert home(carol) == []
    assert reads.search(bob, "unforgettable") == []
    assert reads.search(None, "sunset") == []
    assert reads.hashtag(None, "sunset") == []
    assert not PostHashtag.objects.exists()
    assert notifications(carol) == []
    # Votes, echoes and mentions of the post are forgotten; Bob's comment is his and stays.
    assert sorted(notifications(alice)) == [("follow", "bob", None), ("reply", "bob", reply.pk)]
    assert queries.bookmarks(fresh(bob)).items == []
    assert not Vote.objects.exists() and not Bookmark.objects.exists()
    assert not FeedEntry.objects.filter(post_id=post.pk).exists()
    assert fresh(alice).posts_count == 0
    assert fresh(carol).posts_count == 0
    # The comment is Bob's and stays, now answering nothing.
    assert reload(reply).in_reply_to_id is None


def test_deleting_a_post_takes_quotes_of_its_quotes_with_it_completely(alice, bob, carol, media_root):
    """Echoes go with the post they echo, and so do echoes of those echoes: all of their
    words leave the search index, their pictures leave the disk, and the counts follow."""
    post = actions.create_post(alice, "the original")
    quote = actions.echo(bob, post, text="bob quotes it")
    photo = actions.upload_media(carol, jpeg_upload())
    quote_of_quote = actions.create_post(carol, "carol quotes bob kangaroo", echo_of=quote, media_ids=[photo.pk])
    echo_of_quote = actions.echo(alice, quote)
    assert indexed("kangaroo") == [quote_of_quote.pk]
    assert len(files_on_disk(media_root)) == 2
    actions.delete_post(alice, post)
    assert not Post.objects.filter(pk__in=[quote.pk, quote_of_quote.pk, echo_of_quote.pk]).exists()
    assert indexed("kangaroo") == [] and indexed("quotes") == []
    assert files_on_disk(media_root) == []
    assert [fresh(p).posts_count for p in (alice, bob, carol)] == [0, 0, 0]


def test_only_the_author_or_a_moderator_deletes(alice, bob, busy_post):
    post = busy_post[0]
    with pytest.raises(Forbidden):
        actions.delete_post(bob, post)
    assert Post.objects.filter(pk=post.pk).exists()
    moderator = make_user("mod", role="moderator")
    actions.delete_post(moderator, post)
    assert not Post.objects.filter(pk=post.pk).exists()
    actions.delete_post(alice, post)  # already gone: nothing happens, nothing breaks


def test_deleting_a_comment_counts_the_parent_down(alice, bob):
    top = actions.create_post(alice, "question")
    first = actions.create_post(bob, "answer 1", in_reply_to=top)
    actions.create_post(bob, "answer 2", in_reply_to=top)
    assert reload(top).replies_count == 2
    actions.delete_post(bob, first)
    assert reload(top).replies_count == 1
    assert fresh(bob).posts_count == 1


# --- counters -----------------------------------------------------------------------------


def test_votes_count_once_per_person_and_unvote_is_idempotent(alice, bob, carol):
    post = actions.create_post(alice, "vote for me")
    actions.vote(bob, post)
    actions.vote(bob, post)
    actions.vote(carol, post)
    assert reload(post).votes_count == 2
    assert sorted(notifications(alice)) == [("vote", "bob", post.pk), ("vote", "carol", post.pk)]
    actions.unvote(bob, post)
    actions.unvote(bob, post)
    assert reload(post).votes_count == 1
    actions.unvote(carol, post)
    assert reload(post).votes_count == 0
    assert not Vote.objects.exists()


def test_voting_for_your_own_post_counts_but_does_not_notify(alice):
    post = actions.create_post(alice, "I like this")
    actions.vote(alice, post)
    assert reload(post).votes_count == 1
    assert notifications(alice) == []


def test_a_vote_on_an_echo_goes_to_the_original(alice, bob, carol):
    post = actions.create_post(alice, "original")
    echo = actions.echo(bob, post)
    actions.vote(carol, echo)
    assert reload(post).votes_count == 1 and reload(echo).votes_count == 0
    actions.unvote(carol, echo)
    assert reload(post).votes_count == 0


def test_nobody_votes_for_a_post_they_cannot_see(alice, bob):
    private = actions.create_post(alice, "followers only", visibility=Visibility.FOLLOWERS)
    with pytest.raises(NotFound):
        actions.vote(bob, private)
    assert reload(private).votes_count == 0


def test_the_viewers_own_votes_bookmarks_and_echoes_are_shown_on_the_page(alice, bob):
    accounts.follow(bob, alice)
    post = actions.create_post(alice, "mark me")
    other = actions.create_post(alice, "leave me")
    actions.vote(bob, post)
    actions.bookmark(bob, post)
    actions.echo(bob, post)
    page = {p.pk: p for p in queries.home_feed(fresh(bob)).items}
    assert (page[post.pk].viewer_voted, page[post.pk].viewer_bookmarked, page[post.pk].viewer_echoed) == (True,) * 3
    assert (page[other.pk].viewer_voted, page[other.pk].viewer_bookmarked, page[other.pk].viewer_echoed) == (False,) * 3


def test_comments_count_up_and_carry_the_thread(alice, bob):
    top = actions.create_post(alice, "question")
    answer = actions.create_post(bob, "answer", in_reply_to=top)
    deeper = actions.create_post(alice, "thanks", in_reply_to=answer)
    assert reload(top).replies_count == 1 and reload(answer).replies_count == 1
    assert reload(deeper).thread_root_id == top.pk
    assert reload(deeper).in_reply_to_account_id == bob.pk
    assert notifications(alice) == [("reply", "bob", answer.pk)]
    assert notifications(bob) == [("reply", "alice", deeper.pk)]


def test_a_comment_on_a_plain_echo_goes_under_the_original(alice, bob, carol):
    """A feed shows a plain echo as the original post, so that is what a comment answers."""
    post = actions.create_post(alice, "original")
    echo = actions.echo(bob, post)
    reply = reload(actions.create_post(carol, "answer", in_reply_to=echo))
    assert reply.in_reply_to_id == post.pk and reply.thread_root_id == post.pk
    assert reply.in_reply_to_account_id == alice.pk
    assert reload(post).replies_count == 1 and reload(echo).replies_count == 0
    assert reads.thread(bob, post) == [reply.pk]
    assert ("reply", "carol", reply.pk) in notifications(alice)
    assert notifications(bob) == []


def test_nobody_comments_on_a_post_they_cannot_see(alice, bob):
    private = actions.create_post(alice, "just mine", visibility=Visibility.DIRECT)
    with pytest.raises(NotFound):
        actions.create_post(bob, "peek", in_reply_to=private)
    assert reload(private).replies_count == 0


# --- echoes -------------------------------------------------------------------------------


def test_a_plain_echo_reaches_the_echoers_followers(alice, bob, carol):
    accounts.follow(carol, bob)
    post = actions.create_post(alice, "worth sharing")
    echo = actions.echo(bob, post)
    echo = reload(echo)
    assert echo.is_plain_echo and echo.echo_of_id == post.pk and echo.text == ""
    assert home(carol) == [echo.pk]
    assert reload(post).echoes_count == 1
    assert notifications(alice) == [("echo", "bob", echo.pk)]
    assert fresh(bob).posts_count == 1


def test_an_echo_with_a_comment_is_a_post_of_its_own(alice, bob, carol):
    accounts.follow(carol, bob)
    post = actions.create_post(alice, "worth sharing")
    quote = reload(actions.echo(bob, post, text="my take on it #takes"))
    assert not quote.is_plain_echo and quote.echo_of_id == post.pk
    assert "my take on it" in quote.html
    assert reads.hashtag(None, "takes") == [quote.pk]
    assert home(carol) == [quote.pk]
    assert reload(post).echoes_count == 1


def test_echoing_twice_gives_back_the_same_echo(alice, bob):
    post = actions.create_post(alice, "once")
    first = actions.echo(bob, post)
    second = actions.echo(bob, post)
    of_the_echo = actions.echo(bob, first)  # echoing an echo echoes the original
    assert first.pk == second.pk == of_the_echo.pk
    assert reload(post).echoes_count == 1
    assert Post.objects.filter(author=bob).count() == 1


def test_unecho_takes_back_the_plain_echo_only(alice, bob):
    post = actions.create_post(alice, "original")
    actions.echo(bob, post)
    quote = actions.echo(bob, post, text="with words")
    assert reload(post).echoes_count == 2
    actions.unecho(bob, post)
    actions.unecho(bob, post)
    assert reload(post).echoes_count == 1
    assert list(Post.objects.filter(author=bob).values_list("pk", flat=True)) == [quote.pk]
    assert fresh(bob).posts_count == 1


@pytest.mark.parametrize("visibility", [Visibility.FOLLOWERS, Visibility.DIRECT])
def test_private_posts_cannot_be_echoed_even_by_those_who_see_them(alice, bob, visibility):
    accounts.follow(bob, alice)
    post = actions.create_post(alice, "between us @bob", visibility=visibility)
    assert sees(bob, post)
    with pytest.raises(ActionError) as exc:
        actions.echo(bob, post)
    assert exc.value.status == 422
    with pytest.raises(ActionError):
        actions.echo(alice, post)  # not even by the author
    assert reload(post).echoes_count == 0
    assert not Post.objects.filter(echo_of=post).exists()


def test_unlisted_posts_can_be_echoed(alice, bob):
    post = actions.create_post(alice, "quietly", visibility=Visibility.UNLISTED)
    actions.echo(bob, post)
    assert reload(post).echoes_count == 1


# --- bookmarks ----------------------------------------------------------------------------


def test_bookmarks_are_private_lists_of_posts(alice, bob, carol):
    first = actions.create_post(alice, "first")
    second = actions.create_post(alice, "second")
    actions.bookmark(bob, first)
    moment()  # bookmarks are listed in the order they were made
    actions.bookmark(bob, second)
    actions.bookmark(bob, second)
    assert reads.ids(queries.bookmarks(fresh(bob))) == [second.pk, first.pk]
    assert reads.ids(queries.bookmarks(fresh(carol))) == []
    actions.unbookmark(bob, second)
    actions.unbookmark(bob, second)
    assert reads.ids(queries.bookmarks(fresh(bob))) == [first.pk]


def test_bookmarks_follow_visibility(alice, bob):
    private = actions.create_post(alice, "mine", visibility=Visibility.FOLLOWERS)
    with pytest.raises(NotFound):
        actions.bookmark(bob, private)
    public = actions.create_post(alice, "public")
    actions.bookmark(bob, public)
    accounts.block(alice, bob)
    assert reads.ids(queries.bookmarks(fresh(bob))) == []


def test_bookmarks_page_by_cursor(alice, bob):
    made = [actions.create_post(alice, f"post {i}") for i in range(7)]
    for post in made:
        actions.bookmark(bob, post)
        moment()
    first = queries.bookmarks(fresh(bob), limit=4)
    second = queries.bookmarks(fresh(bob), max_id=first.next_max_id, limit=4)
    assert reads.ids(first) + reads.ids(second) == [p.pk for p in reversed(made)]
    assert second.next_max_id is None


# --- threads ------------------------------------------------------------------------------


def test_a_deep_thread_is_shown_in_conversation_order_with_depth(alice, bob, carol):
    root = actions.create_post(alice, "root")
    a = actions.create_post(bob, "a", in_reply_to=root)
    moment()  # siblings are shown in the order they were written
    b = actions.create_post(carol, "b", in_reply_to=root)
    a1 = actions.create_post(alice, "a1", in_reply_to=a)
    actions.create_post(bob, "b1", in_reply_to=b)
    chain = [a1]
    for i in range(2, 7):
        chain.append(actions.create_post([alice, bob, carol][i % 3], f"a{i}", in_reply_to=chain[-1]))
    actions.create_post(carol, "a-second", in_reply_to=a)

    ancestors, post, descendants = queries.thread(fresh(carol), reload(root))
    assert ancestors == [] and post.pk == root.pk
    shown = [(p.text, p.depth) for p in descendants]
    assert shown == [
        ("a", 1),
        ("a1", 2),
        ("a2", 3),
        ("a3", 4),
        ("a4", 5),
        ("a5", 6),
        ("a6", 7),
        ("a-second", 2),
        ("b", 1),
        ("b1", 2),
    ]


def test_a_thread_from_the_middle_shows_the_chain_above_and_the_comments_below(alice, bob):
    posts = [actions.create_post(alice, "0")]
    for i in range(1, 7):
        posts.append(actions.create_post([alice, bob][i % 2], str(i), in_reply_to=posts[-1]))
    ancestors, post, descendants = queries.thread(fresh(bob), reload(posts[4]))
    assert [p.text for p in ancestors] == ["0", "1", "2", "3"]
    assert post.text == "4"
    assert [(p.text, p.depth) for p in descendants] == [("5", 1), ("6", 2)]


def test_a_thread_leaves_out_comments_the_viewer_may_not_see(alice, bob, carol):
    root = actions.create_post(alice, "root")
    open_reply = actions.create_post(bob, "open", in_reply_to=root)
    moment()
    private = actions.create_post(bob, "followers of bob only", in_reply_to=root, visibility=Visibility.FOLLOWERS)
    under_private = actions.create_post(bob, "below the private one", in_reply_to=private)
    assert reads.thread(carol, root) == [open_reply.pk]
    accounts.follow(carol, bob)
    assert reads.thread(carol, root) == [open_reply.pk, private.pk, under_private.pk]
    assert reads.thread(None, root) == [open_reply.pk]


# --- held posts ---------------------------------------------------------------------------


def screened(author, text, state):
    """A post as the screening left it (held or pending); the moderation app makes these."""
    from django.utils import timezone

    return Post.objects.create(author=author, text=text, html=f"<p>{text}</p>", state=state, created_at=timezone.now())


@pytest.mark.parametrize("state", [PostState.HELD, PostState.PENDING])
def test_a_post_not_yet_published_is_seen_by_its_author_only(alice, bob, state):
    accounts.follow(bob, alice)
    post = screened(alice, "waiting #queue", state)
    assert sees(alice, post)
    assert not sees(bob, post) and not sees(None, post)
    assert reads.profile(bob, alice) == [] and reads.profile(None, alice) == []
    assert reads.profile(alice, alice) == [post.pk]
    assert reads.hashtag(None, "queue") == [] and reads.discover(None) == []
    with pytest.raises(NotFound):
        actions.vote(bob, post)
    with pytest.raises(NotFound):
        actions.create_post(bob, "answer", in_reply_to=post)


def test_publishing_makes_a_held_post_count_and_spread_once(alice, bob):
    accounts.follow(bob, alice)
    post = screened(alice, "waiting #queue", PostState.HELD)
    actions.publish(post)
    actions.publish(post)
    assert reload(post).state == PostState.PUBLISHED
    assert sees(bob, post)
    assert fresh(alice).posts_count == 1
    assert home(bob) == [post.pk]
    assert reads.hashtag(None, "queue") == [post.pk]
    assert reads.discover(None) == [post.pk]


def test_the_person_answered_sees_a_followers_only_answer_and_is_told_once(alice, bob):
    """Bob does not follow the replier, yet a comment on his post is never hidden from him."""
    question = actions.create_post(bob, "Anyone seen my cat?")
    answer = actions.create_post(alice, "Only my followers may know", visibility="followers", in_reply_to=question)
    assert sees(bob, answer)
    assert [n for n in notifications(bob) if n[2] == answer.pk] == [("reply", "alice", answer.pk)]
