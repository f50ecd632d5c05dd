"""Who is calling: the bearer token, its scopes, and the signed-in person, in one query.

The token, its user and the user's Account are read together in hand-written SQL
(``core.rawrows``): this runs on every API request, and a timeline page should not pay for
three ORM lookups before it starts. Nothing is cached, so a revoked token stops working at
once, on every process.
"""

import hashlib
from datetime import datetime
from datetime import timezone as dt_timezone

from django.db import connection

from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from rostra.accounts.backends import build_viewer, viewer_columns

from . import scopes as scope_rules


class Caller:
    """The token's holder: ``user`` and ``account`` (None for an app-only token), ``scopes``."""

    __slots__ = ("user", "account", "scopes", "application_id", "token_id")

    def __init__(self, user, account, scopes, application_id, token_id):
        self.user = user
        self.account = account
        self.scopes = scopes
        self.application_id = application_id
        self.token_id = token_id

    def allows(self, needed):
        return scope_rules.covers(self.scopes, needed)


def bearer_token(request):
    """The token from ``Authorization: Bearer``, or the ``access_token`` parameter."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.GET.get("access_token") or None


_TOKEN_COLUMNS = "t.id, t.scope, t.expires, t.application_id, t.user_id"


def caller_for(token):
    """The Caller a raw token stands for, or None when it is unknown, expired or revoked."""
    table = get_access_token_model()._meta.db_table
    checksum = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_TOKEN_COLUMNS}, {viewer_columns(connection.vendor)} FROM {table} t"
            " LEFT JOIN accounts_user u ON u.id = t.user_id"
            " LEFT JOIN accounts_account a ON a.user_id = u.id"
            " WHERE t.token_checksum = %s",
            [checksum],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    token_id, scope, expires, application_id, user_id = row[:5]
    if expires is not None:
        if isinstance(expires, str):
            expires = datetime.fromisoformat(expires)
        if timezone.is_naive(expires):
            expires = expires.replace(tzinfo=dt_timezone.utc)
        if expires <= timezone.now():
            return None
    user = account = None
    if user_id is not None:
        # The person, their unread count and their blocks and mutes, from the same row.
        user, account = build_viewer(row, connection, offset=5)
        if user is None or not user.is_active:
            return None
    return Caller(user, account, scope_rules.parse(scope), application_id, token_id)

