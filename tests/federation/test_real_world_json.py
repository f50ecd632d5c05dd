"""Documents as Mastodon and others really send them (tests/federation/fixtures) are understood.

The activities go through ``inbox.handle``, the function the inbox queue runs, against the test
database; what Rostra sends back (an Accept, a Follow after a Move) goes over real HTTP to a
hand-written peer on loopback that also serves the remote actors' documents.
"""

import json
from pathlib import Path

import pytest

from rostra.accounts.models import Follow, FollowRequest
from rostra.core.site import base_url
from rostra.federation import inbox, signatures
from rostra.federation.actions import store_actor
from rostra.federation.keys import local_actor
from rostra.federation.models import Actor
from rostra.posts import actions as posts
from rostra.posts.models import Media, Mention, Post, Visibility
from rostra.timelines.models import Notification
from tests.helpers import make_user

from .peer import Peer

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def peer(settings):
    settings.ROSTRA_FEDERATION_ALLOW_LOOPBACK = True
    settings.ROSTRA_SCREENING = "off"
    peer = Peer()
    yield peer
    peer.close()


def load(name, peer, pem="", **values):
    text = (FIXTURES / name).read_text()
    replacements = {
        "{HOST}": peer.url,
        "{HOSTNAME}": peer.domain,
        "{LOCAL}": base_url(),
        "{LOCALDOMAIN}": base_url().split("://", 1)[1],
        "{PEM}": pem.replace("\n", "\\n"),
        **values,
    }
    for key, value in replacements.items():
        text = text.replace(key, value)
    return json.loads(text)


@pytest.fixture
def eugen(peer):
    """The Mastodon actor, served by the peer and stored here as a remote account."""
    _, public_pem = signatures.generate_key_pair()
    doc = load("mastodon_actor.json", peer, pem=public_pem)
    peer.docs[doc["id"]] = doc
    return store_actor(doc)


def test_a_mastodon_actor_is_stored_with_its_extensions(peer, eugen):
    assert (eugen.username, eugen.domain) == ("Eugen", peer.domain)
    assert eugen.display_name == "Eugen :verified: 🐘"
    assert "<script>" not in eugen.bio_html and "Founder of a small" in eugen.bio
    assert eugen.links == [["Website", "https://eugen.example/about"]]
    assert eugen.locked is False
    actor = Actor.objects.get(account=eugen)
    assert actor.shared_inbox == f"{peer.url}/inbox"
    assert actor.inbox == f"{peer.url}/users/Eugen/inbox"
    assert actor.public_key_id == f"{peer.url}/users/Eugen#main-key"
    assert actor.also_known_as == [f"{peer.url}/users/EugenOld"]
    assert actor.featured.endswith("/collections/featured")
    assert eugen.handle == f"@Eugen@{peer.domain}"


def test_a_mastodon_note_becomes_a_post_with_its_warning_tags_mentions_and_image(peer, eugen):
    local = make_user("fixture_local")
    activity = load("mastodon_create_note.json", peer)
    post = inbox.handle(eugen, activity)
    post = Post.objects.get(pk=post.pk)
    assert post.author == eugen and post.state == "published"
    assert post.uri == f"{peer.url}/users/Eugen/statuses/110000000000000001"
    assert "the boats are back" in post.text and "#Harbour" in post.text
    assert "onerror" not in post.html and "<img" not in post.html
    assert 'href="/tags/harbour"' in post.html, post.html
    assert 'href="/@fixture_local"' in post.html
    assert (post.spoiler_text, post.sensitive, post.visibility) == ("Harbour pictures", True, Visibility.PUBLIC)
    assert post.language == "en"
    assert post.created_at.isoformat().startswith("2025-05-01T12:00:00")
    images = list(Media.objects.filter(post=post))
    assert [(m.remote_url.rsplit("/", 1)[-1], m.description, m.width, m.height) for m in images] == [
        ("boats.jpg", "Three fishing boats at dawn", 1200, 800)
    ]
    assert Mention.objects.filter(post=post, account=local).exists()
    assert Notification.objects.filter(recipient=local, kind=Notification.Kind.MENTION, post=post).exists()
    assert post.hashtag_uses.get().hashtag.name == "harbour"
    # The same activity again is the same post.
    assert inbox.handle(eugen, activity).pk == post.pk
    assert Post.objects.filter(author=eugen).count() == 1


def test_a_mastodon_follow_is_accepted_with_a_signed_accept(peer, eugen):
    local = make_user("fixture_local")
    activity = load("mastodon_follow.json", peer)
    assert inbox.handle(eugen, activity) == "following"
    follow = Follow.objects.get(follower=eugen, target=local)
    assert follow.uri == activity["id"] and follow.remote
    path, headers, accept = next(r for r in peer.received if r[2].get("type") == "Accept")
    assert path == "/inbox"  # the shared inbox
    assert accept["object"]["id"] == activity["id"] and accept["actor"] == f"{base_url()}/@fixture_local"
    lower = {k.lower(): v for k, v in headers.items()}
    params = signatures.parse_signature_header(lower["signature"])
    assert params["keyid"] == f"{base_url()}/@fixture_local#main-key"
    signatures.verify(params, "POST", path, lower, local_actor(local).public_key_pem, signatures.REQUIRED_FOR_POST)


def test_a_mastodon_announce_of_a_local_post_is_an_echo(peer, eugen):
    local = make_user("fixture_local")
    original = posts.create_post(local, "Morning tide at six")
    activity = load("mastodon_announce.json", peer, **{"{LOCALPOST}": f"{base_url()}/@fixture_local/{original.pk}"})
    echo = inbox.handle(eugen, activity)
    assert echo.echo_of_id == original.pk and echo.is_plain_echo and echo.author == eugen
    assert Post.objects.get(pk=original.pk).echoes_count == 1
    assert Notification.objects.filter(recipient=local, kind=Notification.Kind.ECHO).exists()
    undo = {"id": activity["id"] + "#undo", "type": "Undo", "actor": activity["actor"], "object": activity}
    inbox.handle(eugen, undo)
    assert Post.objects.get(pk=original.pk).echoes_count == 0
    assert not Post.objects.filter(pk=echo.pk).exists()


def test_a_misskey_quote_with_single_string_addressing_is_an_echo_with_words(peer, eugen):
    local = make_user("fixture_local")
    original = posts.create_post(local, "Worth quoting")
    note = load("misskey_quote_note.json", peer, **{"{LOCALPOST}": f"{base_url()}/@fixture_local/{original.pk}"})
    post = inbox.store_note(eugen, note)
    assert post.echo_of_id == original.pk and post.text == "Quoting this one"
    assert post.visibility == Visibility.PUBLIC


def test_a_mastodon_move_takes_local_followers_to_the_new_account(peer, eugen):
    reader = make_user("fixture_reader")
    Follow.objects.create(follower=reader, target=eugen)
    _, public_pem = signatures.generate_key_pair()
    new_doc = load("mastodon_actor.json", peer, pem=public_pem)
    new_doc.update(
        id=f"{peer.url}/users/EugenNew", preferredUsername="EugenNew", inbox=f"{peer.url}/users/EugenNew/inbox",
        alsoKnownAs=[eugen.uri], publicKey={"id": f"{peer.url}/users/EugenNew#main-key", "owner": f"{peer.url}/users/EugenNew", "publicKeyPem": public_pem},
    )
    peer.docs[new_doc["id"]] = new_doc
    moved = inbox.handle(eugen, load("mastodon_move.json", peer))
    assert moved == 1
    assert not Follow.objects.filter(follower=reader, target=eugen).exists()
    new = FollowRequest.objects.get(follower=reader).target
    assert new.uri == new_doc["id"]
    assert any(r[2].get("type") == "Follow" and r[2]["object"] == new_doc["id"] for r in peer.received)


def test_a_move_to_an_account_that_does_not_name_the_old_one_is_ignored(peer, eugen):
    reader = make_user("fixture_reader")
    Follow.objects.create(follower=reader, target=eugen)
    _, public_pem = signatures.generate_key_pair()
    impostor = load("mastodon_actor.json", peer, pem=public_pem)
    impostor.update(id=f"{peer.url}/users/EugenNew", preferredUsername="EugenNew", alsoKnownAs=[],
                    inbox=f"{peer.url}/users/EugenNew/inbox",
                    publicKey={"id": f"{peer.url}/users/EugenNew#main-key", "owner": f"{peer.url}/users/EugenNew", "publicKeyPem": public_pem})
    peer.docs[impostor["id"]] = impostor
    from rostra.federation.parse import Invalid

    with pytest.raises(Invalid):
        inbox.handle(eugen, load("mastodon_move.json", peer))
    assert Follow.objects.filter(follower=reader, target=eugen).exists()


def test_posts_timed_to_the_second_get_ids_spread_over_that_second(peer, eugen):
    """Servers (and archives) often give times to the second; IDs made from such a time all
    fell in one millisecond, where two processes could draw the same one. They are spread over
    the second, and still sort with it."""
    from datetime import datetime, timezone

    from rostra.core.ids import id_time

    when = datetime(2025, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    made = [
        posts.receive_post(eugen, uri=f"{peer.url}/users/Eugen/statuses/s{i}", text=f"same second {i}", html=f"<p>same second {i}</p>",
                           created_at=when)
        for i in range(60)
    ]
    assert len({p.pk for p in made}) == 60
    moments = {id_time(p.pk) for p in made}
    assert len(moments) > 30, "the IDs are not spread over the second"
    assert all(when <= m < when.replace(second=1) for m in moments)
    assert all(p.created_at == when for p in Post.objects.filter(pk__in=[p.pk for p in made]))
