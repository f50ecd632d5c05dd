"""Local accounts, posts and actions as ActivityStreams JSON, shaped as Mastodon sends them.

Mastodon is the implementation most servers test against, so Rostra uses its vocabulary and
extensions (``toot:``, ``manuallyApprovesFollowers``, ``sensitive``, ``Hashtag``, ``blurhash``,
``alsoKnownAs``, ``movedTo``) and its addressing: public posts to the Public collection with
followers in cc, unlisted the other way round, followers-only to the followers collection,
mentions-only to the people mentioned.
"""

import re
import time
from datetime import timezone
from html import escape

from rostra.core.html import extract_hashtags
from rostra.core.site import absolute, base_url
from rostra.posts.models import Visibility

from . import uris

AS = "https://www.w3.org/ns/activitystreams"
CONTEXT = [
    AS,
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "movedTo": {"@id": "as:movedTo", "@type": "@id"},
        "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
        "toot": "http://joinmastodon.org/ns#",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "suspended": "toot:suspended",
        "blurhash": "toot:blurhash",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "quoteUri": "http://fedibird.com/ns#quoteUri",
        "_misskey_quote": "https://misskey-hub.net/ns#_misskey_quote",
    },
]


def _utc(value):
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def with_context(obj):
    return {"@context": CONTEXT, **obj}


def _absolute_html(html):
    return html.replace('href="/', f'href="{base_url()}/') if html else ""


def _content(post, mentioned):
    """The post's HTML for other servers: links absolute, and a mention of someone elsewhere
    linked to their own profile page. Mastodon shows a mention in the app only when the link is
    the account's profile URL; this server's page of them would take people out of it."""
    html = post.html or ""
    remote = [a for a in mentioned if not a.is_local]
    if remote:
        from .models import Actor

        pages = dict(Actor.objects.filter(account_id__in=[a.pk for a in remote]).values_list("account_id", "url"))
        for account in remote:
            page = pages.get(account.pk) or ""
            page = page if page.startswith(("https://", "http://")) else account.uri
            html = html.replace(f'href="{escape(account.url)}"', f'href="{escape(page)}"')
    return _absolute_html(html)


def _image(field):
    if not field:
        return None
    name = str(field)
    url = absolute(field.url)
    kind = "image/png" if name.endswith(".png") else "image/webp" if name.endswith(".webp") else "image/jpeg"
    return {"type": "Image", "mediaType": kind, "url": url}


def person(account, actor=None):
    """The Person document of a local account."""
    actor_uri = uris.actor(account)
    doc = {
        "id": actor_uri,
        "type": "Person",
        "preferredUsername": account.username,
        "name": account.display_name or account.username,
        "summary": _absolute_html(account.bio_html),
        "url": actor_uri,
        "inbox": uris.inbox(account),
        "outbox": uris.outbox(account),
        "followers": uris.followers(account),
        "following": uris.following(account),
        "featured": uris.featured(account),
        "endpoints": {"sharedInbox": uris.shared_inbox()},
        "manuallyApprovesFollowers": account.locked,
        "discoverable": True,
        "indexable": True,
        "published": _utc(account.created_at),
        "attachment": [
            {"type": "PropertyValue", "name": label, "value": f'<a href="{url}" rel="me nofollow noopener" target="_blank">{url}</a>'}
            for label, url in (account.links or [])
        ],
        "alsoKnownAs": list(actor.also_known_as) if actor is not None else [],
    }
    if actor is not None:
        doc["publicKey"] = {"id": uris.key_id(account), "owner": actor_uri, "publicKeyPem": actor.public_key_pem}
        if actor.moved_to_uri:
            doc["movedTo"] = actor.moved_to_uri
    if account.is_suspended:
        # As in the Mastodon API (and Mastodon's actors): the handle and key stay, so servers can
        # still check what the account signed, but its name, bio, links and pictures are not given.
        doc.update(name=account.username, summary="", attachment=[], suspended=True)
        return doc
    icon, image = _image(account.avatar), _image(account.header)
    if icon:
        doc["icon"] = icon
    if image:
        doc["image"] = image
    return doc


def instance_username():
    """The instance actor's username. Mastodon names its instance actor after the domain, without
    a port (which no username has); the dots of a domain keep it apart from local usernames."""
    return re.sub(r"[^A-Za-z0-9_.-]", "", base_url().split("://", 1)[1].rsplit(":", 1)[0])[:30] or "instance"


def instance_actor(key):
    """The instance's own actor: it signs fetches and owns nothing."""
    actor_uri = uris.instance_actor()
    return {
        "id": actor_uri,
        "type": "Application",
        "preferredUsername": instance_username(),
        "name": "Rostra",
        "inbox": uris.shared_inbox(),
        "outbox": actor_uri + "/outbox",
        "url": base_url() + "/about",
        "manuallyApprovesFollowers": True,
        "publicKey": {"id": actor_uri + "#main-key", "owner": actor_uri, "publicKeyPem": key.public_key_pem},
        "endpoints": {"sharedInbox": uris.shared_inbox()},
    }


def addressing(post, mentioned=()):
    """(to, cc) for a post of this visibility."""
    followers = uris.followers(post.author)
    mentions = [uris.actor(a) for a in mentioned]
    if post.visibility == Visibility.PUBLIC:
        return [uris.PUBLIC], [followers, *mentions]
    if post.visibility == Visibility.UNLISTED:
        return [followers], [uris.PUBLIC, *mentions]
    if post.visibility == Visibility.FOLLOWERS:
        return [followers], mentions
    return mentions, []


def _mention_name(account):
    return f"@{account.username}@{account.domain or base_url().split('://', 1)[1]}"


def note(post, mentioned=(), media=()):
    """The Note of a local post (a comment, or an echo with words of its own, is one too)."""
    to, cc = addressing(post, mentioned)
    tags = [{"type": "Mention", "href": uris.actor(a), "name": _mention_name(a)} for a in mentioned]
    tags += [{"type": "Hashtag", "href": f"{base_url()}/tags/{name}", "name": f"#{name}"} for name in extract_hashtags(post.text)]
    doc = {
        "id": uris.post(post),
        "type": "Note",
        "attributedTo": uris.actor(post.author),
        "content": _content(post, mentioned),
        "source": {"content": post.text, "mediaType": "text/plain"},
        "published": _utc(post.created_at),
        "url": uris.post(post),
        "to": to,
        "cc": cc,
        "sensitive": post.sensitive,
        "summary": post.spoiler_text or None,
        "inReplyTo": uris.post(post.in_reply_to) if post.in_reply_to_id and post.in_reply_to else None,
        "tag": tags,
        "attachment": [
            {
                "type": "Document",
                "mediaType": "image/png" if item.file.name.endswith(".png") else "image/jpeg",
                "url": absolute(item.file.url),
                "name": item.description or None,
                "blurhash": item.blurhash or None,
                "width": item.width,
                "height": item.height,
            }
            for item in media
            if item.file
        ],
    }
    if post.language:
        doc["contentMap"] = {post.language: doc["content"]}
    if post.edited_at:
        doc["updated"] = _utc(post.edited_at)
    if post.echo_of_id and post.echo_of is not None:
        quoted = uris.post(post.echo_of)
        doc["quoteUri"] = doc["_misskey_quote"] = doc["quoteUrl"] = quoted
    return doc


def create(post, note_doc):
    return with_context(
        {
            "id": uris.post(post) + "/activity",
            "type": "Create",
            "actor": uris.actor(post.author),
            "published": note_doc["published"],
            "to": note_doc["to"],
            "cc": note_doc["cc"],
            "object": note_doc,
        }
    )


def update_note(post, note_doc):
    return with_context(
        {
            "id": f"{uris.post(post)}#updates/{int(post.edited_at.timestamp())}",
            "type": "Update",
            "actor": uris.actor(post.author),
            "published": note_doc.get("updated") or note_doc["published"],
            "to": note_doc["to"],
            "cc": note_doc["cc"],
            "object": note_doc,
        }
    )


def update_person(account, actor):
    doc = person(account, actor)
    return with_context(
        {
            "id": f"{uris.actor(account)}#updates/{int(time.time() * 1000)}",
            "type": "Update",
            "actor": uris.actor(account),
            "to": [uris.PUBLIC],
            "object": doc,
        }
    )


def delete_note(post_uri, actor_uri, to, cc):
    return with_context(
        {
            "id": post_uri + "#delete",
            "type": "Delete",
            "actor": actor_uri,
            "to": to,
            "cc": cc,
            "object": {"id": post_uri, "type": "Tombstone", "atomUri": post_uri},
        }
    )


def delete_actor(actor_uri):
    return with_context(
        {"id": actor_uri + "#delete", "type": "Delete", "actor": actor_uri, "to": [uris.PUBLIC], "object": actor_uri}
    )


def announce(echo, original_uri):
    to, cc = addressing(echo)
    return with_context(
        {
            "id": uris.post(echo) + "/activity",
            "type": "Announce",
            "actor": uris.actor(echo.author),
            "published": _utc(echo.created_at),
            "to": to,
            "cc": [*cc, original_uri_author(echo)] if original_uri_author(echo) else cc,
            "object": original_uri,
        }
    )


def original_uri_author(echo):
    original = echo.echo_of
    return uris.actor(original.author) if original is not None else None


def simple(kind, activity_id, actor_uri, obj, **extra):
    """An activity whose object is a reference or an embedded activity: Follow, Like, Block..."""
    return with_context({"id": activity_id, "type": kind, "actor": actor_uri, "object": obj, **extra})


def undo(activity):
    inner = {k: v for k, v in activity.items() if k != "@context"}
    return with_context({"id": inner["id"] + "/undo", "type": "Undo", "actor": inner["actor"], "object": inner})


def collection(collection_id, total, first=None, items=None, ordered=True):
    doc = {"id": collection_id, "type": "OrderedCollection" if ordered else "Collection", "totalItems": total}
    if first is not None:
        doc["first"] = first
    if items is not None:
        doc["orderedItems" if ordered else "items"] = items
    return with_context(doc)


def collection_page(page_id, part_of, items, next_page=None, prev_page=None):
    doc = {"id": page_id, "type": "OrderedCollectionPage", "partOf": part_of, "orderedItems": items}
    if next_page:
        doc["next"] = next_page
    if prev_page:
        doc["prev"] = prev_page
    return with_context(doc)
