"""Federation's background work: processing what arrives, delivering what leaves.

Incoming activities run on the ``inbox`` queue, deliveries on ``delivery``: a post to
thousands of remote followers becomes one task per destination server there, and never holds
up fan-out, notifications or thumbnails on the ``default`` and ``media`` queues. Each delivery
is retried with exponential backoff for ``ROSTRA_DELIVERY_RETRY_HOURS`` (two days and more);
a server that keeps failing is marked unavailable and skipped until it is heard from again.
"""

import logging
import random
from datetime import datetime, timedelta

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django_tasks import default_task_backend, task

from rostra.accounts.models import Account
from rostra.posts.models import Media, Mention, Post, PostState, Visibility

from . import fetch, keys, parse, render, uris
from .actions import blocked_domain, blocked_domains, note_failure, note_success
from .models import Actor, Instance

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)
SLOT_TTL = 120  # seconds a delivery may hold a per-server slot if its worker dies


# --- Who gets what --------------------------------------------------------------------

def _inbox_values(rows):
    return {shared or inbox for shared, inbox in rows if shared or inbox}


def follower_inboxes(account_id):
    """Delivery inboxes of an account's remote followers, one per server that has a shared inbox."""
    rows = Actor.objects.filter(
        account__following_set__target_id=account_id, account__following_set__remote=True
    ).values_list("shared_inbox", "inbox")
    return _inbox_values(rows.iterator(chunk_size=2000))


def inboxes_of(account_ids):
    return _inbox_values(Actor.objects.filter(account_id__in=list(account_ids)).values_list("shared_inbox", "inbox"))


def post_inboxes(post):
    """Every inbox a local post goes to: followers elsewhere (unless only mentioned people may
    see it), the remote people it mentions, answers or echoes."""
    inboxes = set()
    if post.visibility != Visibility.DIRECT:
        inboxes |= follower_inboxes(post.author_id)
    people = set(Mention.objects.filter(post_id=post.pk, account__domain__isnull=False).values_list("account_id", flat=True))
    if post.in_reply_to_account_id:
        people.add(post.in_reply_to_account_id)
    if post.echo_of_id:
        people.add(post.echo_of.author_id)
    return inboxes | inboxes_of(people)


# --- Sending ----------------------------------------------------------------------------

def _fan_out(activity, inboxes, account_id=None, key=None):
    """One delivery task per destination inbox; blocked and unavailable servers are left out."""
    body = orjson.dumps(activity).decode()
    wanted = sorted({i for i in inboxes if i and not uris.is_local(i)})
    if not wanted:
        return 0
    domains = {parse.host(i) for i in wanted}
    unavailable = set(Instance.objects.filter(domain__in=domains, unavailable=True).values_list("domain", flat=True))
    blocked = blocked_domains(domains)
    sent = 0
    for inbox in wanted:
        domain = parse.host(inbox)
        if not domain or domain in unavailable or domain in blocked:
            continue
        deliver.enqueue(inbox, body, account_id, key, 0, None)
        sent += 1
    return sent


@task(queue_name="delivery")
def send_post(post_id):
    """Create (or Announce) a published local post to everyone elsewhere who should have it."""
    post = Post.objects.filter(pk=post_id, state=PostState.PUBLISHED).select_related(
        "author", "echo_of", "echo_of__author", "in_reply_to", "in_reply_to__author"
    ).first()
    if post is None or not post.author.is_local:
        return 0
    return _fan_out(_activity_for(post), post_inboxes(post), account_id=post.author_id)


def _activity_for(post, update=False):
    if post.is_plain_echo:
        return render.announce(post, uris.post(post.echo_of))
    mentioned = [m.account for m in Mention.objects.filter(post_id=post.pk).select_related("account")]
    media = list(Media.objects.filter(post_id=post.pk).order_by("position", "id"))
    doc = render.note(post, mentioned, media)
    return render.update_note(post, doc) if update else render.create(post, doc)


@task(queue_name="delivery")
def send_post_update(post_id):
    post = Post.objects.filter(pk=post_id, state=PostState.PUBLISHED).select_related(
        "author", "echo_of", "echo_of__author", "in_reply_to", "in_reply_to__author"
    ).first()
    if post is None or not post.author.is_local or not post.edited_at:
        return 0
    return _fan_out(_activity_for(post, update=True), post_inboxes(post), account_id=post.author_id)


@task(queue_name="delivery")
def send_profile_update(account_id):
    account = Account.objects.filter(pk=account_id, domain__isnull=True).first()
    if account is None:
        return 0
    return _fan_out(render.update_person(account, keys.local_actor(account)), follower_inboxes(account_id), account_id=account_id)


@task(queue_name="delivery")
def distribute(activity, account_id, inboxes):
    """Send a ready activity from a local account to ``inboxes`` (its remote followers' when None)."""
    if inboxes is None:
        inboxes = follower_inboxes(account_id)
    return _fan_out(activity, inboxes, account_id=account_id)


@task(queue_name="delivery")
def distribute_signed(activity, key, inboxes):
    """As ``distribute``, signed with a key given here (an account being deleted has no row)."""
    return _fan_out(activity, inboxes, key=key)


@task(queue_name="delivery")
def send_to_accounts(activity, account_id, account_ids):
    """Send an activity to particular remote accounts (as the instance when ``account_id`` is None)."""
    return _fan_out(activity, inboxes_of(account_ids), account_id=account_id)


def _take_slot(domain):
    key = f"fed:inflight:{domain}"
    cache.add(key, 0, SLOT_TTL)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, SLOT_TTL)
        count = 1
    if count > settings.ROSTRA_DELIVERY_CONCURRENCY:
        _give_slot(domain)
        return False
    return True


def _give_slot(domain):
    try:
        cache.decr(f"fed:inflight:{domain}")
    except ValueError:
        pass


def _retry(inbox, body, account_id, key, attempt, first_try, delay):
    if not default_task_backend.supports_defer:
        return False
    deliver.using(run_after=timezone.now() + delay).enqueue(inbox, body, account_id, key, attempt, first_try)
    return True


def backoff(attempt):
    """How long to wait before attempt ``attempt + 1``: 30 s doubling up to six hours, jittered.

    Thirty seconds, then a minute, two, four... reach six hours after ten failures, and
    keep trying every six hours until ``ROSTRA_DELIVERY_RETRY_HOURS`` (50) have passed.
    """
    seconds = min(settings.ROSTRA_DELIVERY_FIRST_RETRY * 2**attempt, MAX_BACKOFF.total_seconds())
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


@task(queue_name="delivery")
def deliver(inbox, body, account_id=None, key=None, attempt=0, first_try=None):
    """POST one signed activity to one inbox; on failure, try again later (see ``backoff``)."""
    domain = parse.host(inbox)
    if Instance.objects.filter(domain=domain, unavailable=True).exists():
        return "skipped: the server is marked unavailable"
    if blocked_domain(domain):
        return "skipped: the server is blocked"
    if key:
        signer = tuple(key)
    elif account_id:
        account = Account.objects.filter(pk=account_id, domain__isnull=True).first()
        if account is None:
            return "dropped: the sender no longer exists"
        signer = keys.signer_for(account)
    else:
        signer = keys.instance_signer()
    if not _take_slot(domain):
        # Enough deliveries are in flight to this server already; this one waits its turn.
        if _retry(inbox, body, account_id, key, attempt, first_try, timedelta(seconds=random.uniform(1, 3))):
            return "postponed: the server has enough deliveries in flight"
    status, error = None, ""
    try:
        status = fetch.post_activity(inbox, body.encode(), signer)
    except fetch.FetchError as exc:
        status, error = exc.status, str(exc)
    finally:
        _give_slot(domain)
    if status is not None and 200 <= status < 300:
        note_success(domain)
        return status
    if status is not None and 400 <= status < 500 and status not in (408, 429):
        log.info("Delivery to %s refused with %s; not retried", inbox, status)
        return status
    now = timezone.now()
    started = datetime.fromisoformat(first_try) if first_try else now
    note_failure(domain, give_up_after=timedelta(hours=settings.ROSTRA_DELIVERY_RETRY_HOURS))
    if now - started >= timedelta(hours=settings.ROSTRA_DELIVERY_RETRY_HOURS):
        log.warning("Delivery to %s given up after %s attempts: %s", inbox, attempt + 1, error or status)
        return "given up"
    _retry(inbox, body, account_id, key, attempt + 1, started.isoformat(), backoff(attempt))
    return f"will retry: {error or status}"


# --- Receiving ------------------------------------------------------------------------

@task(queue_name="inbox")
def process_activity(received_id):
    from .inbox import process

    return process(received_id)


@task(queue_name="media")
def fetch_account_image(account_id, kind, url):
    """Copy a remote account's avatar or header here, stripped and cropped like an upload's."""
    from rostra.core.errors import ActionError
    from rostra.posts.media import process_profile_image

    from .actions import media_rejected

    account = Account.objects.filter(pk=account_id, domain__isnull=False).first()
    if account is None or media_rejected(account.domain):
        return
    try:
        status, _, data = fetch.request("GET", url, limit=settings.ROSTRA_MEDIA_MAX_BYTES)
        if status != 200:
            return
        name, content = process_profile_image(data, (400, 400) if kind == "avatar" else (1500, 500), kind)
    except (fetch.FetchError, ActionError) as exc:
        log.info("Image %s of %s not copied: %s", url, account, exc)
        return
    field = getattr(account, kind)
    old = (field.storage, field.name) if field else None
    field.save(name, content, save=False)
    Account.objects.filter(pk=account_id).update(**{kind: field.name})
    if old:
        old[0].delete(old[1])


@task()
def purge_domain(domain):
    """A suspended server's accounts go, with their posts, follows, votes and files."""
    from rostra.accounts.actions import delete_account


    domain = domain.lower()
    found = Account.objects.filter(
        Q(domain=domain) | Q(domain__endswith="." + domain) | Q(domain__startswith=domain + ":")
    )
    gone = 0
    for account in list(found):
        if blocked_domain(account.domain):
            delete_account(account)
            gone += 1
    return gone
