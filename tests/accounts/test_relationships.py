"""Follows, follow requests, blocks, mutes, muted terms, profiles, badges, roles, deletion."""

import pytest
from django.contrib.auth import authenticate

from rostra.accounts import actions
from rostra.accounts.models import Account, Block, Follow, FollowRequest, KeywordFilter, User
from rostra.core.errors import ActionError, Forbidden, NotFound
from rostra.posts import actions as posts
from rostra.posts.models import Bookmark, Hashtag, Media, Post, Visibility, Vote
from rostra.timelines import queries
from rostra.timelines.models import FeedEntry, Notification
from tests import reads
from tests.helpers import PASSWORD, make_user
from tests.images import exif_with_gps, jpeg_upload, open_stored, png_upload, upload
from tests.reads import fresh, home, indexed, moment, newest_first, notifications, reload, sees


def counts(account):
    account = fresh(account)
    return account.followers_count, account.following_count


def files_on_disk(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# --- follow and unfollow ------------------------------------------------------------------


def test_following_counts_on_both_sides_and_is_idempotent(alice, bob):
    assert actions.follow(alice, bob) == "following"
    assert actions.follow(alice, bob) == "following"
    assert counts(alice) == (0, 1)
    assert counts(bob) == (1, 0)
    assert notifications(bob) == [("follow", "alice", None)]


def test_unfollowing_counts_down_once_and_never_below_zero(alice, bob):
    actions.follow(alice, bob)
    assert actions.unfollow(alice, bob) is True
    assert actions.unfollow(alice, bob) is False
    assert counts(alice) == (0, 0)
    assert counts(bob) == (0, 0)
    assert not Follow.objects.exists()


def test_nobody_follows_themselves(alice):
    with pytest.raises(ActionError):
        actions.follow(alice, alice)
    assert counts(alice) == (0, 0)


def test_following_brings_recent_posts_into_the_feed_and_unfollowing_takes_them_out(alice, bob):
    public = posts.create_post(bob, "hello world")
    private = posts.create_post(bob, "for my followers", visibility=Visibility.FOLLOWERS)
    assert home(alice) == []
    actions.follow(alice, bob)
    assert home(alice) == newest_first(private, public)
    actions.unfollow(alice, bob)
    assert home(alice) == []
    assert not sees(alice, private)


# --- locked accounts ----------------------------------------------------------------------


@pytest.fixture
def locked_bob(bob):
    return actions.update_profile(bob, locked=True)


def test_following_a_locked_account_asks_first(alice, locked_bob):
    secret = posts.create_post(locked_bob, "followers only", visibility=Visibility.FOLLOWERS)
    assert actions.follow(alice, locked_bob) == "requested"
    assert actions.follow(alice, locked_bob) == "requested"
    assert FollowRequest.objects.filter(follower=alice, target=locked_bob).count() == 1
    assert not Follow.objects.exists()
    assert counts(locked_bob) == (0, 0)
    assert notifications(locked_bob) == [("follow_request", "alice", None)]
    assert not sees(alice, secret)
    assert home(alice) == []


def test_accepting_a_follow_request_makes_a_follower(alice, locked_bob):
    secret = posts.create_post(locked_bob, "followers only", visibility=Visibility.FOLLOWERS)
    actions.follow(alice, locked_bob)
    actions.accept_follow_request(locked_bob, alice)
    assert Follow.objects.filter(follower=alice, target=locked_bob).exists()
    assert not FollowRequest.objects.exists()
    assert counts(locked_bob) == (1, 0)
    assert counts(alice) == (0, 1)
    assert sees(alice, secret)
    assert home(alice) == [secret.pk]
    # The answered request no longer waits in Bob's notifications; the follow is there.
    assert notifications(locked_bob) == [("follow", "alice", None)]


def test_rejecting_a_follow_request_lets_nobody_in(alice, locked_bob):
    secret = posts.create_post(locked_bob, "followers only", visibility=Visibility.FOLLOWERS)
    actions.follow(alice, locked_bob)
    actions.reject_follow_request(locked_bob, alice)
    assert not Follow.objects.exists()
    assert not FollowRequest.objects.exists()
    assert counts(locked_bob) == (0, 0)
    assert not sees(alice, secret)
    assert notifications(locked_bob) == []
    # Alice may ask again later.
    assert actions.follow(alice, locked_bob) == "requested"


def test_withdrawing_a_follow_request_takes_it_back_from_the_owner(alice, locked_bob):
    actions.follow(alice, locked_bob)
    assert actions.unfollow(alice, locked_bob) is False  # there was no follow to end
    assert not FollowRequest.objects.exists()
    assert notifications(locked_bob) == []
    with pytest.raises(ActionError):
        actions.accept_follow_request(locked_bob, alice)
    assert counts(locked_bob) == (0, 0)


def test_answering_a_request_that_does_not_exist_is_refused(alice, locked_bob, carol):
    with pytest.raises(ActionError) as exc:
        actions.accept_follow_request(locked_bob, alice)
    assert exc.value.status == 404
    actions.follow(alice, locked_bob)
    # Carol cannot accept a request made to Bob.
    with pytest.raises(ActionError):
        actions.accept_follow_request(carol, alice)
    with pytest.raises(ActionError):
        actions.reject_follow_request(carol, alice)
    assert FollowRequest.objects.count() == 1


# --- blocks -------------------------------------------------------------------------------


@pytest.fixture
def friends(alice, bob):
    """Alice and Bob follow each other and have talked."""
    actions.follow(alice, bob)
    actions.follow(bob, alice)
    a = posts.create_post(alice, "alice here #garden")
    b = posts.create_post(bob, "bob here #garden @alice")
    reply = posts.create_post(bob, "bob answers", in_reply_to=a)
    posts.vote(bob, a)
    return a, b, reply


def test_a_block_ends_follows_both_ways_and_corrects_the_counts(alice, bob, friends):
    actions.block(alice, bob)
    assert not Follow.objects.exists()
    assert counts(alice) == (0, 0)
    assert counts(bob) == (0, 0)


def test_a_block_clears_feeds_and_notifications_both_ways(alice, bob, friends):
    a, b, reply = friends
    assert b.pk in home(alice) and a.pk in home(bob)
    assert notifications(alice)
    actions.block(alice, bob)
    assert home(alice) == [a.pk]
    assert home(bob) == newest_first(reply, b)
    assert not FeedEntry.objects.filter(account=alice, author_id=bob.pk).exists()
    assert not FeedEntry.objects.filter(account=bob, author_id=alice.pk).exists()
    assert notifications(alice) == []
    assert not Notification.objects.filter(recipient=alice, actor=bob).exists()


@pytest.mark.parametrize("blocker", ["alice", "bob"])
def test_a_block_hides_everything_both_ways(alice, bob, carol, friends, blocker):
    a, b, reply = friends
    c = posts.create_post(carol, "carol says #garden")
    if blocker == "alice":
        actions.block(alice, bob)
    else:
        actions.block(bob, alice)
    for viewer, other, theirs in ((alice, bob, b), (bob, alice, a)):
        assert not sees(viewer, theirs)
        assert reads.profile(viewer, other) == []
        assert theirs.pk not in reads.discover(viewer)
        assert theirs.pk not in reads.hashtag(viewer, "garden")
        assert reads.search(viewer, "here") == [p.pk for p in (a, b) if p.author_id == viewer.pk]
        assert other.pk not in [acc.pk for acc in queries.search_accounts(fresh(viewer), other.username)]
        assert c.pk in reads.discover(viewer)
    # Bob's comment under Alice's post is gone from the thread Alice sees, and the other way.
    assert reads.thread(alice, a) == []
    assert reads.thread(bob, reply) == []
    assert reads.thread(carol, a) == [reply.pk]


@pytest.mark.parametrize("blocker", ["alice", "bob"])
def test_nobody_can_reach_across_a_block(alice, bob, friends, blocker):
    a, b, _ = friends
    if blocker == "alice":
        actions.block(alice, bob)
    else:
        actions.block(bob, alice)
    for actor, target, their_post in ((bob, alice, a), (alice, bob, b)):
        with pytest.raises(Forbidden):
            actions.follow(actor, target)
        with pytest.raises(ActionError):
            posts.create_post(actor, "hey", in_reply_to=their_post)
        with pytest.raises(ActionError):
            posts.vote(actor, their_post)
        with pytest.raises(ActionError):
            posts.echo(actor, their_post)
        with pytest.raises(ActionError):
            posts.bookmark(actor, their_post)
    # A mention across the block reaches no one.
    posts.create_post(bob, "@alice are you there?")
    posts.create_post(bob, "@alice psst", visibility=Visibility.DIRECT)
    assert notifications(alice) == []
    assert home(alice) == [a.pk]


def test_a_block_removes_pending_follow_requests_both_ways(alice, bob):
    actions.update_profile(alice, locked=True)
    actions.follow(bob, alice)
    assert FollowRequest.objects.exists()
    actions.block(alice, bob)
    assert not FollowRequest.objects.exists()
    assert queries.notifications(fresh(alice)).items == []


def test_echoes_do_not_carry_a_blocked_persons_post_past_the_block(alice, bob, carol):
    actions.follow(alice, carol)
    original = posts.create_post(bob, "bob's words")
    echo = posts.echo(carol, original)
    quote = posts.echo(carol, original, text="carol on bob")
    assert set(home(alice)) == {echo.pk, quote.pk}
    actions.block(alice, bob)
    assert home(alice) == []
    assert not sees(alice, echo)
    assert not sees(alice, quote)
    assert reads.profile(alice, carol) == []


def test_unblocking_shows_posts_again_but_does_not_restore_follows(alice, bob, friends):
    _, b, _ = friends
    actions.block(alice, bob)
    actions.unblock(alice, bob)
    assert sees(alice, b)
    assert not Follow.objects.exists()
    assert home(alice) == [friends[0].pk]


def test_nobody_blocks_or_mutes_themselves(alice):
    with pytest.raises(ActionError):
        actions.block(alice, alice)
    with pytest.raises(ActionError):
        actions.mute(alice, alice)
    assert not Block.objects.exists()


# --- mutes --------------------------------------------------------------------------------


def test_a_mute_hides_posts_from_feeds_but_is_not_a_block(alice, bob, carol):
    actions.follow(alice, bob)
    actions.follow(alice, carol)
    actions.follow(bob, alice)
    top = posts.create_post(carol, "carol asks #plants")
    b = posts.create_post(bob, "bob's post #plants")
    reply = posts.create_post(bob, "bob's comment", in_reply_to=top)
    actions.mute(alice, bob)
    assert home(alice) == [top.pk]
    assert b.pk not in reads.discover(alice)
    assert reads.hashtag(alice, "plants") == [top.pk]
    assert reads.thread(alice, top) == []
    # Not a block: Alice can still open Bob's post and profile, and they still follow each other.
    assert sees(alice, b)
    assert reads.profile(alice, bob) == [b.pk]
    assert Follow.objects.filter(follower=alice, target=bob).exists()
    assert counts(alice) == (1, 2)
    # Bob notices nothing and can go on seeing and answering Alice.
    a = posts.create_post(alice, "alice says")
    assert a.pk in home(bob)
    posts.create_post(bob, "answer", in_reply_to=a)
    actions.unmute(alice, bob)
    assert b.pk in home(alice)
    assert reads.thread(alice, top) == [reply.pk]


def test_a_mute_hides_echoes_of_the_muted_persons_posts_and_echoes_by_them(alice, bob, carol):
    actions.follow(alice, carol)
    bobs = posts.create_post(bob, "bob's post")
    echo_of_bob = posts.echo(carol, bobs)
    actions.follow(alice, bob)
    carols = posts.create_post(carol, "carol's post")
    quote_by_bob = posts.echo(bob, carols, text="bob quotes carol")
    assert home(alice) == newest_first(quote_by_bob, carols, echo_of_bob, bobs)
    actions.mute(alice, bob)
    assert home(alice) == [carols.pk]


def test_votes_and_echoes_from_a_muted_account_are_not_notified(alice, bob):
    a = posts.create_post(alice, "alice says")
    actions.mute(alice, bob)
    posts.vote(bob, a)
    posts.echo(bob, a)
    assert notifications(alice) == []
    assert reload(a).votes_count == 1
    assert reload(a).echoes_count == 1


# --- muted terms --------------------------------------------------------------------------


def test_a_whole_word_filter_hides_the_word_in_any_case_but_not_longer_words(alice, bob):
    actions.follow(alice, bob)
    hit = posts.create_post(bob, "Big SPOILER ahead")
    near = posts.create_post(bob, "spoilers are fine, I said")
    actions.add_keyword_filter(alice, "spoiler")
    assert home(alice) == [near.pk]
    assert hit.pk not in home(alice)


def test_a_substring_filter_hides_the_term_inside_words(alice, bob):
    actions.follow(alice, bob)
    posts.create_post(bob, "spoilers are here")
    posts.create_post(bob, "an UNSPOILED view")
    keep = posts.create_post(bob, "nothing to see")
    actions.add_keyword_filter(alice, "spoil", whole_word=False)
    assert home(alice) == [keep.pk]


def test_filters_match_phrases_and_symbols_literally(alice, bob):
    actions.follow(alice, bob)
    phrase = posts.create_post(bob, "The Red Wedding was brutal")
    words = posts.create_post(bob, "red shoes for a wedding")
    code = posts.create_post(bob, "I write C++ daily")
    other = posts.create_post(bob, "I write C daily")
    actions.add_keyword_filter(alice, "red wedding")
    actions.add_keyword_filter(alice, "c++")
    assert home(alice) == newest_first(other, words)
    assert phrase.pk not in home(alice) and code.pk not in home(alice)


def test_filters_look_at_content_warnings_and_echoed_posts(alice, bob, carol):
    actions.follow(alice, carol)
    warned = posts.create_post(carol, "details inside", spoiler_text="finale spoilers")
    original = posts.create_post(bob, "the finale was great")
    echo = posts.echo(carol, original)
    quote = posts.echo(carol, original, text="agreed")
    actions.add_keyword_filter(alice, "finale")
    assert home(alice) == []
    assert {warned.pk, echo.pk, quote.pk}.isdisjoint(home(alice))


def test_filters_apply_to_threads_hashtag_pages_and_discover(alice, bob, carol):
    top = posts.create_post(carol, "what do you think? #films")
    good = posts.create_post(bob, "nice one", in_reply_to=top)
    moment()  # comments under one post are shown in the order they were written
    bad = posts.create_post(bob, "the butler did it", in_reply_to=top)
    tagged = posts.create_post(bob, "the butler again #films")
    plain = posts.create_post(bob, "the butler, once more")
    actions.add_keyword_filter(alice, "butler")
    assert reads.thread(alice, top) == [good.pk]
    assert reads.hashtag(alice, "films") == [top.pk]
    assert plain.pk not in reads.discover(alice) and tagged.pk not in reads.discover(alice)
    assert top.pk in reads.discover(alice)
    # Others are not affected by Alice's filter.
    assert reads.thread(carol, top) == [good.pk, bad.pk]
    assert reads.hashtag(carol, "films") == newest_first(tagged, top)


def test_filters_never_hide_your_own_posts(alice):
    mine = posts.create_post(alice, "my spoiler")
    actions.add_keyword_filter(alice, "spoiler")
    assert home(alice) == [mine.pk]


def test_removing_a_filter_shows_posts_again(alice, bob):
    actions.follow(alice, bob)
    p = posts.create_post(bob, "a spoiler")
    f = actions.add_keyword_filter(alice, "spoiler")
    assert actions.add_keyword_filter(alice, " spoiler ").pk == f.pk
    assert home(alice) == []
    actions.remove_keyword_filter(bob, f.pk)  # not Bob's to remove
    assert home(alice) == []
    actions.remove_keyword_filter(alice, f.pk)
    assert home(alice) == [p.pk]


@pytest.mark.parametrize("phrase", ["", "   ", "\x00\x01", "x" * 101])
def test_empty_or_overlong_filters_are_refused(alice, phrase):
    with pytest.raises(ActionError) as exc:
        actions.add_keyword_filter(alice, phrase)
    assert exc.value.field == "phrase"
    assert not KeywordFilter.objects.exists()


# --- profiles -----------------------------------------------------------------------------


def test_bio_html_is_escaped_and_links_and_tags_become_anchors(alice, bob):
    actions.update_profile(
        alice, bio='<script>alert("x")</script><b>bold</b> #gardening with @bob https://example.org/me'
    )
    alice = fresh(alice)
    assert alice.bio.startswith("<script>")
    html = alice.bio_html
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert '<a href="/tags/gardening" class="hashtag"' in html
    assert 'href="https://example.org/me"' in html and 'rel="nofollow noopener noreferrer"' in html


def test_display_names_are_plain_text_shown_escaped(alice):
    from rostra.web.jinja import environment

    actions.update_profile(alice, display_name='  <img src=x onerror="alert(1)">Al\x00ice  ')
    alice = fresh(alice)
    assert alice.display_name == '<img src=x onerror="alert(1)">Alice'
    shown = environment().from_string("{{ a.name }}").render(a=alice)
    assert "<img" not in shown and "&lt;img" in shown


def test_control_characters_are_dropped_from_names_and_bios(alice):
    actions.update_profile(alice, display_name="A\x07l\x1bi\x00ce", bio="line one\r\nline two\x00")
    alice = fresh(alice)
    assert alice.display_name == "Alice"
    assert alice.bio == "line one\nline two"
    assert alice.bio_html == "<p>line one<br>line two</p>"


def test_overlong_names_and_bios_are_refused_and_nothing_changes(alice):
    with pytest.raises(ActionError) as exc:
        actions.update_profile(alice, display_name="x" * 61)
    assert exc.value.field == "display_name"
    with pytest.raises(ActionError) as exc:
        actions.update_profile(alice, bio="x" * 501)
    assert exc.value.field == "bio"
    assert (fresh(alice).display_name, fresh(alice).bio) == ("", "")


def test_links_are_kept_as_label_and_web_address(alice):
    actions.update_profile(
        alice,
        links=[["Blog", " https://blog.example.com/ "], ["", "http://example.org/x?y=1"], ["", ""]],
    )
    assert fresh(alice).links == [
        ["Blog", "https://blog.example.com/"],
        ["http://example.org/x?y=1", "http://example.org/x?y=1"],
    ]


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://example.org/file", "example.org", "https://localhost", "https://a b.com", "data:text/html,x"]
)
def test_links_that_are_not_web_addresses_are_refused(alice, url):
    with pytest.raises(ActionError) as exc:
        actions.update_profile(alice, links=[["mine", url]])
    assert exc.value.field == "links"
    assert fresh(alice).links == []


def test_at_most_four_links(alice):
    five = [[f"l{i}", f"https://example.org/{i}"] for i in range(5)]
    with pytest.raises(ActionError) as exc:
        actions.update_profile(alice, links=five)
    assert "4" in exc.value.message
    actions.update_profile(alice, links=five[:4])
    assert len(fresh(alice).links) == 4


@pytest.mark.parametrize("links", [[["only a label"]], ["https://example.org"], [["a", "https://b.org", "c"]], [None]])
def test_links_of_the_wrong_shape_are_refused_cleanly(alice, links):
    with pytest.raises(ActionError) as exc:
        actions.update_profile(alice, links=links)
    assert exc.value.field == "links"


def test_avatar_and_header_are_cropped_and_stripped_and_old_files_deleted(alice, media_root):
    actions.update_profile(
        alice, avatar=jpeg_upload(size=(900, 600), exif=exif_with_gps()), header=png_upload(size=(3000, 800))
    )
    alice = fresh(alice)
    avatar = open_stored(alice.avatar)
    header = open_stored(alice.header)
    assert avatar.size == (400, 400)
    assert header.size == (1500, 500)
    assert not avatar.getexif() and "exif" not in avatar.info
    first = files_on_disk(media_root)
    assert first == sorted([alice.avatar.name, alice.header.name])
    old_avatar = alice.avatar.name
    actions.update_profile(alice, avatar=jpeg_upload(size=(50, 50)))
    second = files_on_disk(media_root)
    assert second == sorted([fresh(alice).avatar.name, alice.header.name])
    assert old_avatar not in second


def test_an_avatar_that_is_not_an_image_is_refused(alice, media_root):
    with pytest.raises(ActionError):
        actions.update_profile(alice, avatar=upload(b"not an image at all", "me.jpg"))
    assert not fresh(alice).avatar
    assert files_on_disk(media_root) == []


def test_unlocking_lets_in_everyone_who_was_waiting(alice, bob, carol):
    actions.update_profile(bob, locked=True)
    assert actions.follow(alice, bob) == "requested"
    assert counts(bob) == (0, 0)
    actions.update_profile(bob, locked=False)
    assert not FollowRequest.objects.filter(target=bob).exists()
    assert actions.follow(carol, bob) == "following"
    assert counts(bob) == (2, 0)


# --- badges and roles ---------------------------------------------------------------------


@pytest.fixture
def admin():
    return make_user("boss", role=User.Role.ADMIN)


def test_admins_give_and_take_badges(admin, alice):
    actions.set_badges(admin.user, alice, verified=True, parody=True)
    assert fresh(alice).badges == ["verified", "parody"]
    actions.set_badges(admin.user, alice, parody=False)
    assert fresh(alice).badges == ["verified"]


@pytest.mark.parametrize("role", [User.Role.USER, User.Role.MODERATOR])
def test_only_admins_give_badges(alice, bob, role):
    actor = make_user("actor", role=role)
    with pytest.raises(Forbidden):
        actions.set_badges(actor.user, bob, verified=True)
    with pytest.raises(Forbidden):
        actions.set_badges(alice.user, alice, verified=True)
    assert fresh(bob).badges == [] and fresh(alice).badges == []


def test_admins_change_roles(admin, alice):
    actions.set_role(admin.user, alice.user, User.Role.MODERATOR)
    user = User.objects.get(pk=alice.user.pk)
    assert user.role == "moderator" and user.is_moderator and not user.is_staff
    with pytest.raises(ActionError):
        actions.set_role(admin.user, user, "overlord")
    assert User.objects.get(pk=user.pk).role == "moderator"


def test_only_admins_change_roles(alice, bob):
    moderator = make_user("mod", role=User.Role.MODERATOR)
    for actor in (alice.user, moderator.user):
        with pytest.raises(Forbidden):
            actions.set_role(actor, bob.user, User.Role.ADMIN)
    with pytest.raises(Forbidden):
        actions.set_role(alice.user, alice.user, User.Role.ADMIN)
    assert User.objects.get(pk=bob.user.pk).role == "user"
    assert User.objects.get(pk=alice.user.pk).role == "user"


def test_an_admin_made_a_user_again_loses_admin_powers(admin, alice):
    other = make_user("other_admin", role=User.Role.ADMIN)
    actions.set_role(other.user, admin.user, User.Role.USER)
    demoted = User.objects.get(pk=admin.user.pk)
    assert not demoted.is_moderator
    assert not demoted.is_staff
    with pytest.raises(Forbidden):
        actions.set_badges(demoted, alice, verified=True)
    with pytest.raises(Forbidden):
        actions.set_role(demoted, alice.user, User.Role.ADMIN)


# --- deleting an account ------------------------------------------------------------------


def test_deleting_an_account_deletes_everything_it_owns(alice, bob, carol, media_root):
    actions.follow(alice, bob)
    actions.follow(bob, alice)
    actions.follow(bob, carol)
    a = posts.create_post(alice, "alice's post")
    photo = posts.upload_media(bob, jpeg_upload(exif=exif_with_gps()), "a photo")
    b = posts.create_post(bob, "zanzibar holiday #zanzibartrip @alice", media_ids=[photo.pk])
    bob_reply = posts.create_post(bob, "bob comments", in_reply_to=a)
    bob_echo = posts.echo(bob, a)
    posts.vote(bob, a)
    posts.bookmark(bob, a)
    alice_echo = posts.echo(alice, b)
    carol_quote = posts.echo(carol, b, text="carol quotes zanzibar")
    dave = make_user("dave")
    dave_photo = posts.upload_media(dave, jpeg_upload())
    dave_quote = posts.create_post(dave, "dave quotes carol zanzibar", echo_of=carol_quote, media_ids=[dave_photo.pk])
    actions.update_profile(bob, avatar=jpeg_upload())
    assert reload(a).votes_count == 1 and reload(a).echoes_count == 1 and reload(a).replies_count == 1
    assert fresh(alice).posts_count == 2 and fresh(carol).posts_count == 1
    assert len(files_on_disk(media_root)) == 5  # two photos, their thumbnails, the avatar
    assert len(indexed("zanzibar")) == 3
    assert notifications(alice)

    actions.delete_account(fresh(bob))

    assert not Account.objects.filter(username="bob").exists()
    assert not User.objects.filter(username="bob").exists()
    assert authenticate(username="bob", password=PASSWORD) is None
    assert not Post.objects.filter(author_id=bob.pk).exists()
    for gone in (b, bob_reply, bob_echo, alice_echo, carol_quote, dave_quote):
        assert not Post.objects.filter(pk=gone.pk).exists()
    assert not Vote.objects.exists() and not Bookmark.objects.exists() and not Media.objects.exists()
    assert files_on_disk(media_root) == []
    # Numbers on other people's posts and profiles hold no trace of Bob.
    a = reload(a)
    assert (a.votes_count, a.echoes_count, a.replies_count) == (0, 0, 0)
    assert counts(alice) == (0, 0)
    assert counts(carol) == (0, 0)
    assert fresh(alice).posts_count == 1
    assert fresh(carol).posts_count == 0
    assert fresh(dave).posts_count == 0
    # Nothing is found, listed or notified any more.
    assert notifications(alice) == []
    assert reads.search(alice, "zanzibar") == []
    assert reads.search(None, "zanzibar") == []
    assert indexed("zanzibar") == []
    assert reads.hashtag(None, "zanzibartrip") == []
    assert queries.search_accounts(None, "bob") == []
    assert home(alice) == [a.pk]
    assert reads.thread(alice, a) == []
    assert not FeedEntry.objects.filter(author_id=bob.pk).exists()


def test_comments_left_under_a_deleted_accounts_post_do_not_become_top_level_posts(alice, bob):
    top = posts.create_post(bob, "bob asks")
    answer = posts.create_post(alice, "alice answers", in_reply_to=top)
    assert answer.pk not in reads.discover(None)
    actions.delete_account(fresh(bob))
    assert reload(answer).pk == answer.pk  # Alice's words are hers and stay
    assert answer.pk not in reads.discover(None)
    assert answer.pk not in reads.profile(None, alice)
    assert answer.pk in reads.profile(None, alice, tab="replies")


@pytest.mark.parametrize("how", ["unfollow", "block"])
def test_ending_a_follow_takes_the_person_out_of_the_followers_lists(alice, bob, how):
    from rostra.timelines import lists
    from rostra.timelines.models import ListMember

    actions.follow(alice, bob)
    friends = lists.create_list(alice, "Friends")
    lists.add_members(alice, friends.pk, [bob.pk])
    assert ListMember.objects.filter(list=friends, account=bob).exists()
    getattr(actions, how)(alice, bob)
    assert not ListMember.objects.filter(list=friends, account=bob).exists()
