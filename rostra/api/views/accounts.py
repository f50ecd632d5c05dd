"""Accounts: sign-up, who signed in, profiles, relationships, and following, blocking, muting.

Every change goes through ``rostra.accounts.actions``; this module reads parameters, finds
accounts and answers in Mastodon's shapes. Lists of accounts (followers, blocks, ...) are
paged by the id of the row that ties the two accounts, newest first, as Mastodon does.
"""

import re
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Lower
from django.templatetags.static import static
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model, set_token_value
from oauthlib.common import generate_token

from rostra.accounts import actions
from rostra.accounts.models import Account, Block, Follow, FollowRequest, Mute
from rostra.core import ratelimit, rawrows
from rostra.core.errors import ActionError
from rostra.core.html import clean_text
from rostra.core.models import InstanceSettings
from rostra.posts.queries import blocked_ids, muted_ids

from ..http import ApiError, Reply, api, not_found, parse_id, route
from ..pagination import PageParams, link_header
from ..serializers import absolute, account, credential_account, relationship

# Mastodon's page sizes for lists of accounts, and its cap on ids asked for at once.
ACCOUNTS_PAGE, ACCOUNTS_PAGE_MAX = 40, 80
MAX_IDS = 100
MAX_PASSWORD = 256


# --- shapes ----------------------------------------------------------------------------


def public_account(acc):
    """``account()`` as others see it: a suspended account keeps its handle, not its profile.

    Mastodon (3.3 and later) answers with the account flagged ``suspended`` instead of a
    410, so apps can say "this account is suspended"; what the person wrote is not shown
    meanwhile.
    """
    data = account(acc)
    if acc.is_suspended:
        avatar, header = absolute(static("avatar-missing.png")), absolute(static("header-missing.png"))
        data.update(
            display_name="", note="", fields=[], locked=False, suspended=True,
            avatar=avatar, avatar_static=avatar, header=header, header_static=header,
        )
    return data


def own_account(acc):
    """The caller's CredentialAccount, with the count of follow requests apps show as a badge."""
    acc.follow_requests_count = FollowRequest.objects.filter(target=acc).count()
    return credential_account(acc)


def validation_error(errors):
    """Mastodon's 422 for a form: ``{"error": "Validation failed: ...", "details": {...}}``.

    ``errors`` maps a parameter name to (code, description) pairs; codes are Mastodon's
    ``ERR_BLANK``, ``ERR_TAKEN``... which apps such as Mastodon.py pass on to people.
    """
    summary = ", ".join(_summary(name, description) for name, items in errors.items() for _, description in items)
    details = {name: [{"error": code, "description": description} for code, description in items] for name, items in errors.items()}
    return ApiError(422, f"Validation failed: {summary}", details=details)


def _summary(name, description):
    """Rails' "Username can't be blank"; the actions' own messages are whole sentences already."""
    if description[:1].isupper():
        return description.rstrip(".")
    return f"{name.replace('_', ' ').capitalize()} {description}"


def _error_code(message):
    """Mastodon's error code for one of the actions' messages."""
    lowered = message.lower()
    for words, code in (
        (("taken",), "ERR_TAKEN"),
        (("reserved",), "ERR_RESERVED"),
        (("too short",), "ERR_TOO_SHORT"),
        (("at most", "too long"), "ERR_TOO_LONG"),
        (("choose a",), "ERR_BLANK"),
    ):
        if any(w in lowered for w in words):
            return code
    return "ERR_INVALID"


def _action_validation_error(error, names):
    """An action's refusal (``ActionError`` with a ``field``) as Mastodon's 422 with details."""
    name = names.get(error.field, error.field or "base")
    return validation_error({name: [(_error_code(error.message), error.message)]})


# --- relationships -----------------------------------------------------------------------


def relationship_facts(viewer, ids):
    """{target id: set of words for ``serializers.relationship``} for many targets, in one query.

    A relationships request may name a hundred accounts; one UNION over the follow, request,
    block and mute tables answers them all instead of seven queries per account.
    """
    ids = [int(i) for i in ids]
    facts = {i: set() for i in ids}
    if viewer is None or not ids:
        return facts
    within, values = rawrows.among(ids)
    parts, params = [], []
    for word, table, mine, theirs in (
        ("following", Follow, "follower_id", "target_id"),
        ("followed_by", Follow, "target_id", "follower_id"),
        ("requested", FollowRequest, "follower_id", "target_id"),
        ("requested_by", FollowRequest, "target_id", "follower_id"),
        ("blocking", Block, "account_id", "target_id"),
        ("blocked_by", Block, "target_id", "account_id"),
        ("muting", Mute, "account_id", "target_id"),
    ):
        parts.append(f"SELECT '{word}', {theirs} FROM {table._meta.db_table} WHERE {mine} = %s AND {theirs} {within}")
        params += [viewer.pk, *values]
    with rawrows.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for word, target_id in cursor.fetchall():
            facts[target_id].add(word)
    return facts


def relationship_with(viewer, target):
    return relationship(target.pk, relationship_facts(viewer, [target.pk])[target.pk])


# --- finding accounts --------------------------------------------------------------------


def get_account(value):
    """The account with this id (from a path), or Mastodon's 404."""
    found = Account.objects.filter(pk=parse_id(value)).first()
    if found is None:
        raise not_found()
    return found


def _available(acc):
    """Mastodon treats a suspended account as gone for anything but being looked at."""
    if acc.is_suspended:
        raise not_found()
    return acc


def _not_suspended():
    return Q(suspended_until__isnull=True) | Q(suspended_until__lte=timezone.now())


def _without_suspended(rows, field):
    """Rows whose ``field`` account is not suspended now."""
    return rows.exclude(**{f"{field}__suspended_until__gt": timezone.now()})


def _ids_param(params):
    """The ``id[]`` list: distinct numeric ids in the order given; others cannot exist."""
    ids = {}
    for value in params.getlist("id"):
        value = str(value)
        if value.isdigit() and len(value) < 20:
            ids[int(value)] = None
        if len(ids) > MAX_IDS:
            raise ApiError(422, f"Too many accounts requested (at most {MAX_IDS})")
    return list(ids)


def _accounts_by_id(ids, with_suspended=False):
    """The accounts with these ids that exist, in the order asked for."""
    qs = Account.objects.filter(pk__in=ids)
    if not with_suspended:
        qs = qs.filter(_not_suspended())
    found = {a.pk: a for a in qs}
    return [found[i] for i in ids if i in found]


def _local_domain(domain):
    return not domain or domain.lower() == settings.ROSTRA_DOMAIN.lower()


def find_by_acct(acct):
    """``alice``, ``@alice``, ``alice@this.server`` or ``bob@elsewhere`` as an Account, or None."""
    acct = clean_text(acct or "").strip().lstrip("@")
    username, _, domain = acct.partition("@")
    if not username:
        return None
    qs = Account.objects.alias(username_lower=Lower("username")).filter(username_lower=username.lower())
    if _local_domain(domain):
        return qs.filter(domain__isnull=True).first()
    return qs.filter(domain__iexact=domain).first()


# --- pages of accounts -------------------------------------------------------------------


def _page_of_accounts(request, rows, field):
    """A page of the accounts that ``rows`` (Follow, Block, Mute, FollowRequest) point at.

    The cursor is the row's id, so "followers" runs newest follow first and the Link
    header's ``max_id``/``min_id`` refer to rows, as Mastodon's do.
    """
    page = PageParams(request.params, ACCOUNTS_PAGE, ACCOUNTS_PAGE_MAX)
    if page.max_id is not None:
        rows = rows.filter(pk__lt=page.max_id)
    if page.since_id is not None:
        rows = rows.filter(pk__gt=page.since_id)
    rows = rows.select_related(field)
    if page.min_id is not None:
        found = list(rows.filter(pk__gt=page.min_id).order_by("pk")[: page.limit])[::-1]
        more = True
    else:
        found = list(rows.order_by("-pk")[: page.limit + 1])
        more = len(found) > page.limit
        found = found[: page.limit]
    data = [public_account(getattr(row, field)) for row in found]
    headers = link_header(request, found[0].pk, found[-1].pk, more) if found else {}
    return Reply(data, headers=headers)


def _hidden_from(viewer):
    """Accounts a viewer does not see in lists: blocked either way, or muted (as Mastodon)."""
    if viewer is None:
        return set()
    return blocked_ids(viewer) | muted_ids(viewer)


def _network(request, id, direction):
    """Followers or following of an account, without suspended, blocked or muted people."""
    target = get_account(id)
    viewer = request.viewer
    if target.is_suspended or (viewer is not None and target.pk in blocked_ids(viewer)):
        return []
    if direction == "followers":
        rows, field = Follow.objects.filter(target=target), "follower"
    else:
        rows, field = Follow.objects.filter(follower=target), "target"
    rows = _without_suspended(rows, field)
    hidden = _hidden_from(viewer)
    if hidden:
        rows = rows.exclude(**{f"{field}_id__in": hidden})
    return _page_of_accounts(request, rows, field)


# --- sign-up -----------------------------------------------------------------------------


def _signup_form_errors(params):
    """What is wrong with a sign-up form on its face, before anything is looked up.

    Checked first so an app gets every such mistake at once; whether a name is taken is
    left to ``actions.sign_up``, behind the sign-up rate limit, so nobody can probe names
    for free.
    """
    errors = {}
    username = (_text_param(params, "username") or "").strip()
    if not username:
        errors["username"] = [("ERR_BLANK", "can't be blank")]
    elif len(username) > 30:
        errors["username"] = [("ERR_TOO_LONG", "is too long (maximum is 30 characters)")]
    elif not actions.USERNAME_RE.match(username):
        errors["username"] = [("ERR_INVALID", "must contain only letters, numbers and underscores")]
    email = (_text_param(params, "email") or "").strip()
    if not email:
        errors["email"] = [("ERR_BLANK", "can't be blank")]
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [("ERR_INVALID", "is invalid")]
    password = _text_param(params, "password") or ""
    if not password:
        errors["password"] = [("ERR_BLANK", "can't be blank")]
    elif len(password) > MAX_PASSWORD:
        errors["password"] = [("ERR_TOO_LONG", f"is too long (maximum is {MAX_PASSWORD} characters)")]
    if not params.flag("agreement"):
        errors["agreement"] = [("ERR_ACCEPTED", "must be accepted")]
    if errors:
        raise validation_error(errors)
    return username, email, password


def issue_token(user, application_id, scopes):
    """An access token (and refresh token) for a new person, from the app that signed them up."""
    now = timezone.now()
    token = get_access_token_model()(
        user=user,
        application_id=application_id,
        expires=now + timedelta(seconds=settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"]),
        scope=scopes,
    )
    raw, raw_refresh = generate_token(), generate_token()
    set_token_value(token, raw)
    token.save()
    refresh = get_refresh_token_model()(user=user, application_id=application_id, access_token=token)
    set_token_value(refresh, raw_refresh)
    refresh.save()
    return {
        "access_token": raw,
        "token_type": "Bearer",
        "scope": scopes,
        "created_at": int(time.time()),
        "expires_in": settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"],
        "refresh_token": raw_refresh,
    }


@api("write:accounts", user=False)
def register(request):
    """``POST /api/v1/accounts``: sign up from an app, and get a token for the new person.

    Needs an app token (client credentials grant) allowed ``write:accounts``, as Mastodon
    does, so only registered apps sign people up and each sign-up is tied to one.
    """
    caller = request.caller
    if caller is None:
        raise ApiError(401, "The access token is invalid")
    if not InstanceSettings.current().registrations_open:
        raise ApiError(403, "Sign-ups are closed on this instance.")
    username, email, password = _signup_form_errors(request.params)
    try:
        with transaction.atomic():
            user = actions.sign_up(username, password, email=email, ip=ratelimit.client_ip(request))
            return issue_token(user, caller.application_id, " ".join(sorted(caller.scopes)))
    except ActionError as error:
        if error.field is None:
            raise
        raise _action_validation_error(error, {}) from error


# --- who signed in -----------------------------------------------------------------------


@api(None)
def verify_credentials(request):
    """The caller's own account; the ``profile`` scope is enough, as in Mastodon."""
    caller = request.caller
    if not (caller.allows("read:accounts") or caller.allows("profile")):
        raise ApiError(403, "This action is outside the authorized scopes")
    return own_account(request.viewer)


_FIELD_KEY = re.compile(r"^fields_attributes\[(\d{1,4})\]\[(name|value)\]$")


def _position(key):
    key = str(key)
    return int(key) if key.isdigit() and len(key) < 5 else 10_000


def _json_fields(sent):
    """JSON's ``fields_attributes``: a list of {name, value}, or an object keyed by position."""
    if len(sent) == 1 and isinstance(sent[0], dict) and not {"name", "value"} & set(sent[0]):
        keyed = sent[0]
        sent = [keyed[k] for k in sorted(keyed, key=_position)]
    pairs = {}
    for position, item in enumerate(sent):
        if not isinstance(item, dict):
            raise validation_error({"fields_attributes": [("ERR_INVALID", "must be a list of names and values")]})
        pairs[position] = {k: item.get(k) if isinstance(item.get(k), str) else "" for k in ("name", "value")}
    return pairs


def _fields_param(params):
    """``fields_attributes`` as [name, value] pairs in position order; None when not sent.

    Forms send ``fields_attributes[0][name]`` (Mastodon.py, most apps); JSON sends a list
    of objects or an object keyed by position.
    """
    by_index = {}
    for key in params.data:
        match = _FIELD_KEY.match(key)
        if match:
            by_index.setdefault(int(match.group(1)), {})[match.group(2)] = _text_param(params, key)
    if params.data.get("fields_attributes"):
        by_index.update(_json_fields(params.data["fields_attributes"]))
    if not by_index:
        return None
    pairs = [[by_index[i].get("name") or "", by_index[i].get("value") or ""] for i in sorted(by_index)]
    if any("\x00" in text for pair in pairs for text in pair):
        raise validation_error({"fields_attributes": [("ERR_INVALID", "contains a NUL character")]})
    return pairs


def _text_param(params, key):
    """A text parameter, or None when absent; NUL bytes and objects get Mastodon's 422 with details."""
    if key not in params:
        return None
    try:
        return params.text(key)
    except ApiError:
        raise validation_error({key.split("[", 1)[0]: [("ERR_INVALID", "must be text, without NUL characters")]}) from None


def _upload(params, name):
    """An uploaded image, or None; a plain text value in its place is a mistake, not a file."""
    upload = params.files.get(name) if params.files else None
    if upload is None and params.get(name) not in (None, ""):
        raise validation_error({name: [("ERR_INVALID", "must be an uploaded image file")]})
    return upload


@api("write:accounts")
def update_credentials(request):
    """``PATCH /api/v1/accounts/update_credentials``: change the caller's profile.

    Mastodon settings Rostra does not have (``bot``, ``discoverable``, ``source[privacy]``...)
    are accepted and ignored, so apps that always send them keep working.
    """
    p = request.params
    changes = {
        "display_name": _text_param(p, "display_name"),
        "bio": _text_param(p, "note"),
        "locked": p.flag("locked") if "locked" in p else None,
        "links": _fields_param(p),
        "avatar": _upload(p, "avatar"),
        "header": _upload(p, "header"),
    }
    names = {"bio": "note", "links": "fields_attributes", "media": "avatar" if changes["avatar"] else "header"}
    viewer = request.viewer
    try:
        actions.update_profile(viewer, **changes)
    except ActionError as error:
        raise _action_validation_error(error, names) from error
    return own_account(Account.objects.get(pk=viewer.pk))


# --- one account -------------------------------------------------------------------------


@api("read:accounts", user="optional")
def show(request, id):
    return public_account(get_account(id))


@api("read:accounts", user="optional")
def many(request):
    """``GET /api/v1/accounts?id[]=``: several accounts at once (Mastodon 4.3)."""
    ids = _ids_param(request.params)
    if len(ids) > ACCOUNTS_PAGE:
        raise ApiError(422, "Too many accounts requested")
    return [public_account(a) for a in _accounts_by_id(ids, with_suspended=True)]


@api("read:accounts", user="optional")
def lookup(request):
    """``GET /api/v1/accounts/lookup?acct=``: an account by its handle, without searching."""
    found = find_by_acct(request.params.text("acct"))
    if found is None:
        raise not_found()
    return public_account(found)


@api("read:accounts", user="optional")
def followers(request, id):
    return _network(request, id, "followers")


@api("read:accounts", user="optional")
def following(request, id):
    return _network(request, id, "following")


@api("read:accounts", user="optional")
def featured_tags(request, id):
    """Rostra has no featured hashtags; apps ask on every profile, so answer empty."""
    get_account(id)
    return []


# --- following, blocking, muting ----------------------------------------------------------


def _relationship_view(scope, act, available=False):
    """A POST on ``/api/v1/accounts/:id/<verb>`` that runs ``act`` and answers the Relationship."""

    @api(scope)
    def view(request, id):
        target = get_account(id)
        if available:
            _available(target)
        act(request.viewer, target)
        return relationship_with(request.viewer, target)

    view.__name__ = act.__name__
    return view


def _remove_from_followers(viewer, target):
    """Make ``target`` stop following ``viewer``: their unfollow, at the viewer's wish."""
    actions.unfollow(target, viewer)


follow = _relationship_view("write:follows", actions.follow, available=True)
unfollow = _relationship_view("write:follows", actions.unfollow)
remove_from_followers = _relationship_view("write:follows", _remove_from_followers)
block = _relationship_view("write:blocks", actions.block)
unblock = _relationship_view("write:blocks", actions.unblock)
mute = _relationship_view("write:mutes", actions.mute)
unmute = _relationship_view("write:mutes", actions.unmute)


@api("read:follows")
def relationships(request):
    """``GET /api/v1/accounts/relationships?id[]=``: the caller's ties to each account."""
    p = request.params
    targets = _accounts_by_id(_ids_param(p), with_suspended=p.flag("with_suspended"))
    facts = relationship_facts(request.viewer, [t.pk for t in targets])
    return [relationship(t.pk, facts[t.pk]) for t in targets]


@api("read:follows")
def familiar_followers(request):
    """For each account asked about, the people the caller follows who follow it too."""
    ids = _ids_param(request.params)
    viewer = request.viewer
    hidden = _hidden_from(viewer)
    rows = (
        Follow.objects.filter(target_id__in=ids, follower_id__in=Follow.objects.filter(follower=viewer).values("target_id"))
        .exclude(follower_id__in=hidden)
        .exclude(follower__suspended_until__gt=timezone.now())
        .select_related("follower")
        .order_by("-pk")[:1000]
    )
    found = {i: [] for i in ids}
    for row in rows:
        found[row.target_id].append(public_account(row.follower))
    return [{"id": str(i), "accounts": found[i]} for i in ids]


@api("read:accounts")
def search(request):
    """``GET /api/v1/accounts/search``: by handle prefix or display name; ``resolve`` is ignored
    until federation. Exact handles come first, then the most followed."""
    p = request.params
    query = clean_text(p.text("q")).strip().lstrip("@")
    limit = p.number("limit", ACCOUNTS_PAGE, minimum=1, maximum=ACCOUNTS_PAGE_MAX)
    offset = p.number("offset", 0, minimum=0, maximum=10_000)
    if not query:
        return []
    viewer = request.viewer
    username, _, domain = query.partition("@")
    qs = Account.objects.filter(_not_suspended()).exclude(pk__in=blocked_ids(viewer))
    if domain:
        qs = qs.filter(username__iexact=username)
        qs = qs.filter(domain__isnull=True) if _local_domain(domain) else qs.filter(domain__iexact=domain)
    else:
        qs = qs.filter(Q(username__istartswith=query) | Q(display_name__icontains=query))
    if p.flag("following"):
        qs = qs.filter(pk__in=Follow.objects.filter(follower=viewer).values("target_id"))
    exact = Case(When(username__iexact=username, then=Value(0)), default=Value(1), output_field=IntegerField())
    qs = qs.annotate(exact=exact).order_by("exact", "-followers_count", "username", "pk")
    return [public_account(a) for a in qs[offset : offset + limit]]


# --- follow requests, blocks, mutes -------------------------------------------------------


@api("read:follows")
def follow_requests(request):
    rows = _without_suspended(FollowRequest.objects.filter(target=request.viewer), "follower")
    return _page_of_accounts(request, rows, "follower")


def _answer_view(act):
    """``POST /api/v1/follow_requests/:account_id/<answer>``; 404 when there is no such request."""

    @api("write:follows")
    def view(request, id):
        requester = get_account(id)
        act(request.viewer, requester)
        return relationship_with(request.viewer, requester)

    view.__name__ = act.__name__
    return view


authorize_request = _answer_view(actions.accept_follow_request)
reject_request = _answer_view(actions.reject_follow_request)


@api("read:blocks")
def blocks(request):
    return _page_of_accounts(request, Block.objects.filter(account=request.viewer), "target")


@api("read:mutes")
def mutes(request):
    return _page_of_accounts(request, Mute.objects.filter(account=request.viewer), "target")


@api("read:accounts")
def endorsements(request):
    """Rostra has no endorsed (featured) accounts; apps ask anyway."""
    return []


ID = r"(?P<id>[^/]+)"

routes = [
    # Fixed names first: "verify_credentials" would otherwise be taken for an account id.
    route(r"api/v1/accounts", post=register, get=many),
    route(r"api/v1/accounts/verify_credentials", get=verify_credentials),
    route(r"api/v1/accounts/update_credentials", patch=update_credentials),
    route(r"api/v1/accounts/relationships", get=relationships),
    route(r"api/v1/accounts/familiar_followers", get=familiar_followers),
    route(r"api/v1/accounts/lookup", get=lookup),
    route(r"api/v1/accounts/search", get=search),
    route(rf"api/v1/accounts/{ID}", get=show),
    route(rf"api/v1/accounts/{ID}/followers", get=followers),
    route(rf"api/v1/accounts/{ID}/following", get=following),
    route(rf"api/v1/accounts/{ID}/featured_tags", get=featured_tags),
    route(rf"api/v1/accounts/{ID}/follow", post=follow),
    route(rf"api/v1/accounts/{ID}/unfollow", post=unfollow),
    route(rf"api/v1/accounts/{ID}/remove_from_followers", post=remove_from_followers),
    route(rf"api/v1/accounts/{ID}/block", post=block),
    route(rf"api/v1/accounts/{ID}/unblock", post=unblock),
    route(rf"api/v1/accounts/{ID}/mute", post=mute),
    route(rf"api/v1/accounts/{ID}/unmute", post=unmute),
    route(r"api/v1/follow_requests", get=follow_requests),
    route(rf"api/v1/follow_requests/{ID}/authorize", post=authorize_request),
    route(rf"api/v1/follow_requests/{ID}/reject", post=reject_request),
    route(r"api/v1/blocks", get=blocks),
    route(r"api/v1/mutes", get=mutes),
    route(r"api/v1/endorsements", get=endorsements),
]
