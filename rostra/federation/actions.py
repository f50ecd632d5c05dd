"""Changes that only federation makes: storing remote actors, domain blocks, server health.

Social changes that arrive from other servers (a follow, a vote, a post) go through the same
functions in ``accounts.actions`` and ``posts.actions`` as local ones; this module holds the
rest.
"""

import csv
import io
import logging
import re

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from rostra.accounts.models import Account
from rostra.core.errors import ActionError

from . import parse
from .models import Actor, DomainBlock, Instance

log = logging.getLogger(__name__)


_SEVERITY_ORDER = {"noop": 0, "limit": 1, "suspend": 2}


def _domain_and_parents(domain):
    """``a.b.example.org:8443`` -> itself, without the port, and its parent domains."""
    domain = domain.lower()
    name = re.sub(r":\d+$", "", domain)
    parts = name.split(".")
    return {domain, name, *(".".join(parts[i:]) for i in range(1, len(parts) - 1))}


def blocked_domain(domain, severity=DomainBlock.Severity.SUSPEND):
    """The block on ``domain`` (or on a parent domain) at ``severity`` or worse, if any."""
    if not domain:
        return None
    least = _SEVERITY_ORDER[severity]
    blocks = [
        b for b in DomainBlock.objects.filter(domain__in=_domain_and_parents(domain)) if _SEVERITY_ORDER[b.severity] >= least
    ]
    return max(blocks, key=lambda b: _SEVERITY_ORDER[b.severity], default=None)


def blocked_domains(domains, severity=DomainBlock.Severity.SUSPEND):
    """Which of ``domains`` ``blocked_domain`` finds blocked at ``severity`` or worse, read at
    once (a post to followers on hundreds of servers checks them all)."""
    least = _SEVERITY_ORDER[severity]
    names = {domain: _domain_and_parents(domain) for domain in {d for d in domains if d}}
    wanted = sorted(set().union(*names.values())) if names else []
    blocked = set()
    for start in range(0, len(wanted), 500):
        blocked.update(
            b.domain
            for b in DomainBlock.objects.filter(domain__in=wanted[start : start + 500])
            if _SEVERITY_ORDER[b.severity] >= least
        )
    return {domain for domain, candidates in names.items() if candidates & blocked}


def media_rejected(domain):
    """Images from ``domain`` are not copied here (a suspension or ``reject_media``)."""
    return any(
        b.reject_media or b.severity == DomainBlock.Severity.SUSPEND
        for b in DomainBlock.objects.filter(domain__in=_domain_and_parents(domain))
    )


def store_actor(doc):
    """Create or update the Account and Actor of a remote actor document (already fetched
    from its own server, or verified by signature); returns the Account."""
    fields = parse.actor_fields(doc)
    if blocked_domain(fields["domain"]):
        raise parse.Invalid(f"{fields['domain']} is blocked here.")
    from django.conf import settings

    if fields["domain"] == settings.ROSTRA_DOMAIN.lower():
        raise parse.Invalid("That actor claims to live here.")
    profile = {
        "display_name": fields["display_name"],
        "bio": fields["bio"],
        "bio_html": fields["bio_html"],
        "links": fields["links"],
        "locked": fields["locked"],
        "uri": fields["uri"],
    }
    with transaction.atomic():
        account = Account.objects.select_for_update().filter(uri=fields["uri"], domain__isnull=False).first()
        if account is None:
            account = (
                Account.objects.select_for_update()
                .alias(u=Lower("username"))
                .filter(u=fields["username"].lower(), domain=fields["domain"])
                .first()
            )
        if account is None:
            try:
                with transaction.atomic():
                    account = Account.objects.create(
                        username=fields["username"], domain=fields["domain"], created_at=fields["published"] or timezone.now(), **profile
                    )
            except IntegrityError:
                account = Account.objects.get(uri=fields["uri"], domain__isnull=False)
        else:
            changed = [k for k, v in profile.items() if getattr(account, k) != v]
            for k in changed:
                setattr(account, k, profile[k])
            if changed:
                account.save(update_fields=changed)
        actor_values = {
            k: fields[k]
            for k in (
                "kind", "inbox", "shared_inbox", "outbox", "followers", "following", "featured", "url",
                "public_key_id", "public_key_pem", "also_known_as", "moved_to_uri",
            )
        }
        actor_values["fetched_at"] = timezone.now()
        Actor.objects.update_or_create(account_id=account.pk, defaults=actor_values)
        Instance.objects.get_or_create(domain=fields["domain"])
    _refresh_images(account, fields)
    return account


def _refresh_images(account, fields):
    """Avatars and headers are copied here (stripped, resized) by a task, not hot-linked."""
    from django.core.cache import cache

    from rostra.core.tasks import enqueue_on_commit

    from .tasks import fetch_account_image

    if media_rejected(fields["domain"]):
        return
    for kind in ("avatar", "header"):
        url = fields.get(f"{kind}_url")
        key = f"fed:image:{account.pk}:{kind}"
        if url and cache.get(key) != url:
            cache.set(key, url, 24 * 3600)
            enqueue_on_commit(fetch_account_image, account.pk, kind, url)


def note_success(domain):
    """A delivery to (or an activity from) ``domain`` went through: it is available again."""
    failing = Instance.objects.filter(domain=domain).exclude(failures=0, unavailable=False)
    # Nearly always there is nothing to reset (this runs for every activity received and every
    # delivery): read first, so the common case is a read, not an UPDATE of no rows, which on
    # SQLite still takes the database's write lock from every other writer.
    if failing.exists():
        failing.update(failures=0, failing_since=None, unavailable=False, last_success_at=timezone.now())


def note_failure(domain, give_up_after):
    """A delivery to ``domain`` failed; once it has failed for ``give_up_after`` (every retry of
    a delivery used up), the server is marked unavailable and skipped until heard from again."""
    now = timezone.now()
    instance, _ = Instance.objects.get_or_create(domain=domain)
    instance.failures += 1
    instance.failing_since = instance.failing_since or now
    if now - instance.failing_since >= give_up_after and instance.failures >= 3:
        instance.unavailable = True
    instance.save(update_fields=["failures", "failing_since", "unavailable"])
    return instance


def retry_server(moderator, domain):
    """An admin says a server marked unavailable is worth trying again."""
    from rostra.moderation.actions import audit, require_admin

    require_admin(moderator)
    if Instance.objects.filter(domain=domain, unavailable=True).update(unavailable=False, failures=0, failing_since=None):
        audit(moderator, "retry server", domain)


# --- Domain blocks -------------------------------------------------------------------

SEVERITY_FROM_CSV = {"suspend": "suspend", "silence": "limit", "limit": "limit", "noop": "noop"}
SEVERITY_TO_CSV = {"suspend": "suspend", "limit": "silence", "noop": "noop"}
CSV_HEADER = ["#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate"]


def _clean_domain(domain):
    domain = (domain or "").strip().lower().rstrip(".")
    if domain.startswith("*."):
        domain = domain[2:]
    if not domain or len(domain) > 255 or not all(c.isalnum() or c in ".-:" for c in domain) or "." not in domain and ":" not in domain:
        raise ActionError(f"{domain[:100]!r} is not a domain name.", status=422, field="domain")
    return domain


def block_domain(moderator, domain, severity="suspend", *, reject_media=False, reject_reports=False,
                 public_comment="", private_comment="", obfuscate=False):
    """Block a whole server. Suspending removes what is stored of it and ends every follow."""
    from rostra.moderation.actions import audit, require_admin

    require_admin(moderator)
    domain = _clean_domain(domain)
    if severity not in DomainBlock.Severity.values:
        raise ActionError("Severity is suspend, limit or noop.", status=422, field="severity")
    with transaction.atomic():
        block, _ = DomainBlock.objects.update_or_create(
            domain=domain,
            defaults={
                "severity": severity,
                "reject_media": bool(reject_media),
                "reject_reports": bool(reject_reports),
                "public_comment": (public_comment or "")[:500],
                "private_comment": (private_comment or "")[:500],
                "obfuscate": bool(obfuscate),
                "created_by": moderator,
            },
        )
        audit(moderator, "block domain", domain, severity=severity, reject_media=bool(reject_media))
    if severity == DomainBlock.Severity.SUSPEND:
        from rostra.core.tasks import enqueue_on_commit

        from .tasks import purge_domain

        enqueue_on_commit(purge_domain, domain)
    return block


def unblock_domain(moderator, domain):
    from rostra.moderation.actions import audit, require_admin

    require_admin(moderator)
    deleted, _ = DomainBlock.objects.filter(domain=(domain or "").strip().lower()).delete()
    if deleted:
        audit(moderator, "unblock domain", domain)
    return bool(deleted)


def export_domain_blocks():
    """The blocks as Mastodon's CSV (the file its admin area imports and exports)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for b in DomainBlock.objects.order_by("domain"):
        writer.writerow(
            [b.domain, SEVERITY_TO_CSV[b.severity], str(b.reject_media).lower(), str(b.reject_reports).lower(),
             b.public_comment, str(b.obfuscate).lower()]
        )
    return out.getvalue()


def import_domain_blocks(moderator, data):
    """Blocks from Mastodon's CSV (with or without its header); returns (added, skipped rows)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ActionError("The file is not UTF-8 text.", status=422) from exc
    added, skipped = 0, []
    rows = list(csv.reader(io.StringIO(data)))
    header = None
    if rows and rows[0] and rows[0][0].strip().lstrip("#").lower() == "domain":
        header = [h.strip().lstrip("#").lower() for h in rows[0]]
        rows = rows[1:]
    for number, row in enumerate(rows, start=2 if header else 1):
        if not row or not row[0].strip():
            continue
        values = dict(zip(header or ["domain", "severity", "reject_media", "reject_reports", "public_comment", "obfuscate"], row))
        severity = SEVERITY_FROM_CSV.get((values.get("severity") or "suspend").strip().lower())
        if severity is None:
            skipped.append(f"line {number}: unknown severity {values.get('severity')!r}")
            continue
        try:
            block_domain(
                moderator,
                values["domain"],
                severity,
                reject_media=_truthy(values.get("reject_media")),
                reject_reports=_truthy(values.get("reject_reports")),
                public_comment=values.get("public_comment") or "",
                obfuscate=_truthy(values.get("obfuscate")),
            )
            added += 1
        except ActionError as exc:
            skipped.append(f"line {number}: {exc.message}")
    return added, skipped


def _truthy(value):
    return (value or "").strip().lower() in {"true", "1", "yes"}
