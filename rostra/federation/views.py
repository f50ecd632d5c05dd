"""What other servers ask of this one: WebFinger, actors, posts, collections, inboxes.

Actors and posts answer at the same URLs as their web pages (``/@alice``, ``/@alice/<id>``);
``negotiated`` hands a request that asks for ActivityStreams JSON to the view here and every
other request to the page. In "authorized fetch" mode (``ROSTRA_AUTHORIZED_FETCH``) posts
and collections are served only to signed requests from servers that are not blocked.
"""

import logging
from functools import wraps
from html import escape

import orjson
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from rostra.accounts.models import Account, Follow
from rostra.core.site import base_url
from rostra.core.tasks import enqueue_on_commit
from rostra.posts.models import Mention, Post, PostState, Visibility

from . import keys, parse, render, signatures, uris
from .actions import blocked_domain, note_success
from .fetch import ACTIVITY_JSON
from .inbox import OWN_OBJECT_TYPES
from .models import ReceivedActivity
from .signatures import SignatureError
from .verify import Deferred, signer_of, signer_of_inbox_post

log = logging.getLogger(__name__)

MAX_INBOX_BYTES = 1_000_000
PAGE_SIZE = 20


def activity_response(data, status=200, content_type=ACTIVITY_JSON):
    response = HttpResponse(orjson.dumps(data), status=status, content_type=content_type)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _error(status, message):
    return activity_response({"error": message}, status=status, content_type="application/json")


def wants_activity_json(request):
    accept = request.headers.get("Accept", "")
    return "application/activity+json" in accept or ("application/ld+json" in accept and "activitystreams" in accept)


def negotiated(ap_view):
    """Serve ``ap_view`` to requests for ActivityStreams JSON, the decorated page to the rest."""

    def decorator(page_view):
        @wraps(page_view)
        def view(request, *args, **kwargs):
            if settings.ROSTRA_FEDERATION and wants_activity_json(request):
                response = ap_view(request, *args, **kwargs)
            else:
                response = page_view(request, *args, **kwargs)
            patch_vary_headers(response, ["Accept"])
            return response

        return view

    return decorator


def _local(username):
    if "@" in username:
        return None
    return Account.objects.alias(u=Lower("username")).filter(u=username.lower(), domain__isnull=True).first()


def _signed(request):
    return bool(request.headers.get("Signature")) or (request.headers.get("Authorization") or "").startswith("Signature ")


def _reader(request, needed=False):
    """The remote account that signed this read, or None.

    The signature is checked only when it matters (authorized fetch, or something not public):
    checking may mean fetching the signer's key from its server, and a server that is at that
    moment fetching from this one would wait on a busy worker. A request from a blocked server
    is refused either way (its key id says where it is from; no fetch needed).
    """
    if _signed(request):
        try:
            key_id = signatures.parse_signature_header(request.headers.get("Signature") or request.headers.get("Authorization"))["keyid"]
        except SignatureError:
            key_id = ""
        if key_id and blocked_domain(parse.host(key_id)):
            raise SignatureError("Requests from that server are refused here.")
        if needed or settings.ROSTRA_AUTHORIZED_FETCH:
            return signer_of(request)
        return None
    if settings.ROSTRA_AUTHORIZED_FETCH:
        raise SignatureError("This server serves signed requests only (authorized fetch).")
    return None


def _guarded(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            reader = _reader(request)
        except SignatureError as exc:
            return _error(401, str(exc))
        return view(request, reader, *args, **kwargs)

    return wrapper


# --- discovery ----------------------------------------------------------------------

def webfinger(request):
    resource = request.GET.get("resource", "").strip()
    domain = settings.ROSTRA_DOMAIN.lower()
    username = None
    instance = f"acct:{render.instance_username()}@{domain}"
    if "@" in resource and not resource.startswith(("acct:", "http://", "https://")):
        resource = "acct:" + resource  # some servers leave the scheme out
    if resource.startswith("acct:"):
        name, _, host = resource[5:].lstrip("@").rpartition("@")
        if host.lower() == domain:
            username = name
        if resource.lower() == instance.lower() and _local(name) is None:
            # Mastodon checks a signer by WebFinger (preferredUsername@host must lead back to
            # its id); the instance actor signs every fetch nobody in particular asked for.
            return _jrd(request, instance, uris.instance_actor(), None)
    elif resource.startswith(("http://", "https://")):
        local = uris.parse_local(resource)
        if local is not None and local[1] is None:
            username = local[0]
        elif resource == uris.instance_actor():
            return _jrd(request, instance, uris.instance_actor(), None)
    if not resource:
        return _error(400, "Ask for a resource, such as acct:name@" + domain)
    account = _local(username) if username else None
    if account is None:
        return _error(404, "No such account here.")
    return _jrd(request, f"acct:{account.username}@{domain}", uris.actor(account), uris.actor(account))


def _jrd(request, subject, actor_uri, profile):
    links = [{"rel": "self", "type": ACTIVITY_JSON, "href": actor_uri}]
    if profile:
        links.insert(0, {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile})
        # Where another server sends someone from here who wants to follow or answer something
        # there: search, which looks up a URL or name@server for whoever is signed in.
        links.append({"rel": "http://ostatus.org/schema/1.0/subscribe", "template": f"{base_url()}/search?q={{uri}}"})
    return activity_response({"subject": subject, "aliases": [actor_uri], "links": links}, content_type="application/jrd+json")


def host_meta(request):
    template = f"{base_url()}/.well-known/webfinger?resource={{uri}}"
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{escape(template)}"/>\n'
        "</XRD>\n"
    )
    return HttpResponse(xml, content_type="application/xrd+xml")


# --- actors and posts ---------------------------------------------------------------

def actor(request, username, *args, **kwargs):
    """A local account's Person (always served unsigned: servers need its key to check ours)."""
    account = _local(username)
    if account is None:
        return _error(404, "No such account here.")
    return activity_response(render.with_context(render.person(account, keys.local_actor(account))))


def instance_actor(request):
    return activity_response(render.with_context(render.instance_actor(keys.instance_key())))


def _readable(post, reader):
    """Whether a remote reader (None: an unsigned request) may fetch this local post."""
    if post.state != PostState.PUBLISHED:
        return False
    if reader is not None and _blocked_reader(post, reader):
        return False
    if post.visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        return True
    if reader is None:
        return False
    if post.visibility == Visibility.FOLLOWERS and Follow.objects.filter(follower=reader, target=post.author_id).exists():
        return True
    return Mention.objects.filter(post=post, account=reader).exists()


def _blocked_reader(post, reader):
    from rostra.accounts.actions import is_blocked_between

    return is_blocked_between(reader, post.author)


@_guarded
def note(request, reader, username, post_id, *args, **kwargs):
    post = (
        Post.objects.filter(pk=int(post_id), author__domain__isnull=True)
        .select_related("author", "in_reply_to", "in_reply_to__author", "echo_of", "echo_of__author")
        .first()
    )
    if post is not None and reader is None and post.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED) and _signed(request):
        # Only a signed reader (a follower's server, someone mentioned) may have this one.
        try:
            reader = _reader(request, needed=True)
        except SignatureError as exc:
            return _error(401, str(exc))
    if post is not None and post.author.is_suspended:
        return _error(410, "This account is suspended.")
    if post is None or post.author.username.lower() != username.lower() or not _readable(post, reader):
        return _error(404, "No such post.")
    from .tasks import _activity_for

    activity = _activity_for(post)
    if post.is_plain_echo:
        return activity_response(activity)
    return activity_response(render.with_context(activity["object"]))


# --- collections -------------------------------------------------------------------

def _page_url(collection_id, max_id=None):
    return f"{collection_id}?page=true" + (f"&max_id={max_id}" if max_id else "")


@_guarded
def outbox(request, reader, username):
    account = _local(username)
    if account is None:
        return _error(404, "No such account here.")
    if account.is_suspended:
        return _error(410, "This account is suspended.")
    collection_id = uris.outbox(account)
    posts = Post.objects.filter(
        author=account, state=PostState.PUBLISHED, visibility__in=(Visibility.PUBLIC, Visibility.UNLISTED)
    )
    if not request.GET.get("page"):
        return activity_response(render.collection(collection_id, posts.count(), first=_page_url(collection_id)))
    from .tasks import _activity_for

    max_id = parse_int(request.GET.get("max_id"))
    if max_id:
        posts = posts.filter(pk__lt=max_id)
    page = list(posts.select_related("author", "in_reply_to", "in_reply_to__author", "echo_of", "echo_of__author").order_by("-id")[:PAGE_SIZE])
    items = [{k: v for k, v in _activity_for(p).items() if k != "@context"} for p in page]
    next_page = _page_url(collection_id, page[-1].pk) if len(page) == PAGE_SIZE else None
    return activity_response(render.collection_page(_page_url(collection_id, max_id), collection_id, items, next_page))


def parse_int(value):
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**63 else None


def _people(request, reader, username, direction):
    account = _local(username)
    if account is None:
        return _error(404, "No such account here.")
    if direction == "followers":
        collection_id, rows, field = uris.followers(account), Follow.objects.filter(target=account), "follower"
        total = account.followers_count
    else:
        collection_id, rows, field = uris.following(account), Follow.objects.filter(follower=account), "target"
        total = account.following_count
    if not request.GET.get("page"):
        return activity_response(render.collection(collection_id, total, first=_page_url(collection_id)))
    max_id = parse_int(request.GET.get("max_id"))
    if max_id:
        rows = rows.filter(pk__lt=max_id)
    page = list(rows.select_related(field).order_by("-id")[:PAGE_SIZE * 2])
    items = [uris.actor(getattr(r, field)) for r in page]
    next_page = _page_url(collection_id, page[-1].pk) if len(page) == PAGE_SIZE * 2 else None
    return activity_response(render.collection_page(_page_url(collection_id, max_id), collection_id, items, next_page))


@_guarded
def followers(request, reader, username, *args, **kwargs):
    return _people(request, reader, username, "followers")


@_guarded
def following(request, reader, username, *args, **kwargs):
    return _people(request, reader, username, "following")


@_guarded
def featured(request, reader, username):
    account = _local(username)
    if account is None:
        return _error(404, "No such account here.")
    return activity_response(render.collection(uris.featured(account), 0, items=[]))


# --- inboxes ----------------------------------------------------------------------

@csrf_exempt
def inbox(request, username=None):
    """Take an activity: check its signature and that its signer is its actor, store it by its id
    (a replay is answered but changes nothing), and leave the rest to the inbox queue."""
    if request.method != "POST":
        response = _error(405, "Inboxes take POST.")
        response["Allow"] = "POST"
        return response
    if not settings.ROSTRA_FEDERATION:
        return _error(404, "Federation is off on this server.")
    if username is not None and _local(username) is None:
        return _error(404, "No such account here.")
    if int(request.headers.get("Content-Length") or 0) > MAX_INBOX_BYTES:
        return _error(413, "Activities are at most 1 MB.")
    body = request.body
    if len(body) > MAX_INBOX_BYTES:
        return _error(413, "Activities are at most 1 MB.")
    try:
        activity = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _error(400, "The body is not JSON.")
    if not isinstance(activity, dict):
        return _error(400, "An activity is a JSON object.")
    activity_id, actor_uri, kinds = activity.get("id"), parse.id_of(activity.get("actor")), parse.types(activity)
    if not isinstance(activity_id, str) or not activity_id or len(activity_id) > 500 or not actor_uri or not kinds:
        return _error(400, "An activity needs an id, a type and an actor.")
    if blocked_domain(parse.host(actor_uri)):
        return _error(403, "Activities from that server are refused here.")
    deferred = {}
    try:
        signer = signer_of_inbox_post(request, body)
    except Deferred as wait:
        # A first-time sender: its key is fetched by the inbox queue, not while it waits here.
        signer, deferred = None, wait.saved
    except SignatureError as exc:
        log.info("Inbox refused %s from %s: %s", activity_id, actor_uri, exc)
        return _error(401, str(exc))
    if signer is not None and signer.uri != actor_uri:
        return _error(401, "The activity is signed by someone other than its actor.")
    if deferred and not parse.same_host(signatures.parse_signature_header(deferred["headers"].get("signature") or deferred["headers"].get("authorization"))["keyid"], actor_uri):
        return _error(401, "The activity is signed by someone other than its actor.")
    if not parse.same_host(activity_id, actor_uri):
        return _error(400, "The activity's id is not on its actor's server.")
    if kinds & OWN_OBJECT_TYPES:
        obj = activity.get("object")
        object_id = parse.id_of(obj)
        if object_id and not parse.same_host(object_id, actor_uri):
            return _error(400, "An actor may only create, update or delete things on its own server.")
        if isinstance(obj, dict) and parse.id_of(obj.get("attributedTo")) not in (None, actor_uri):
            return _error(400, "The object is attributed to someone else.")
    from .tasks import process_activity

    values = {"actor_uri": actor_uri, "type": sorted(kinds)[0][:40], "body": activity, "signature": deferred}
    try:
        with transaction.atomic():
            received = ReceivedActivity.objects.create(activity_id=activity_id, **values)
            enqueue_on_commit(process_activity, received.pk)
    except IntegrityError:
        # The same activity again changes nothing, unless the first copy failed its signature
        # check (someone who knew the id must not be able to block the real one).
        with transaction.atomic():
            retried = ReceivedActivity.objects.filter(
                activity_id=activity_id, state=ReceivedActivity.State.REFUSED
            ).update(state=ReceivedActivity.State.PENDING, error="", **values)
            if retried:
                received = ReceivedActivity.objects.get(activity_id=activity_id)
                enqueue_on_commit(process_activity, received.pk)
        if not retried:
            return activity_response({"status": "already received"}, status=202, content_type="application/json")
    if signer is not None:
        note_success(signer.domain or "")
    return activity_response({"status": "accepted"}, status=202, content_type="application/json")
