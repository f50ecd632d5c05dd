"""What an app asks a server before anything else: who it is, its limits, its rules."""

from django.conf import settings
from django.templatetags.static import static

from rostra import __version__
from rostra.accounts.models import Account
from rostra.core.models import InstanceSettings
from rostra.posts.models import Post

from ..http import api, json_response, route
from ..serializers import absolute, base_url, timestamp

MASTODON_VERSION = "4.3.0"
VERSION = f"{MASTODON_VERSION} (compatible; Rostra {__version__})"

# The community rules apps show at sign-up and offer when reporting; report reasons map to them.
RULES = [
    ("1", "violence", "No violence or threats", "No threats, incitement or glorifying violent attacks, against anyone."),
    ("2", "hate", "No hate", "No attacks on people for who they are: race, ethnicity, religion, sex, gender identity, sexual orientation, disability."),
    ("3", "harassment", "No harassment", "No insults or abuse aimed at a person."),
    ("4", "spam", "No spam", "No repetitive, deceptive or unsolicited promotion."),
    ("5", "illegal", "Nothing illegal", "Nothing that breaks the law where this server runs."),
]
RULE_REASON = {rule_id: reason for rule_id, reason, _, _ in RULES}


def rules_json():
    return [{"id": rule_id, "text": text, "hint": hint} for rule_id, _, text, hint in RULES]


def _configuration(instance):
    return {
        "urls": {"streaming": settings.ROSTRA_STREAMING_URL or base_url().replace("http", "ws", 1), "status": None},
        "vapid": {"public_key": ""},
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
        "statuses": {
            "max_characters": instance.max_post_length,
            "max_media_attachments": instance.max_media_per_post,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
            "description_limit": 1500,
            "image_size_limit": settings.ROSTRA_MEDIA_MAX_BYTES,
            "image_matrix_limit": 40_000_000,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0},
        "translation": {"enabled": False},
    }


def _contact_account():
    admin = (
        Account.objects.filter(user__role="admin", domain__isnull=True).order_by("created_at").first()
    )
    if admin is None:
        return None
    from ..serializers import account

    return account(admin)


@api(user="optional")
def instance_v2(request):
    instance = InstanceSettings.current()
    icon = absolute(static("icons/icon-512.png"))
    return {
        "domain": settings.ROSTRA_DOMAIN,
        "title": instance.name,
        "version": VERSION,
        "source_url": "https://github.com/rostra-social/rostra",
        "description": instance.description,
        "usage": {"users": {"active_month": _users()}},
        "thumbnail": {"url": icon, "blurhash": None, "versions": {}},
        "icon": [{"src": icon, "size": "512x512"}, {"src": absolute(static("icons/icon-192.png")), "size": "192x192"}],
        "languages": ["en"],
        "configuration": _configuration(instance),
        "registrations": {"enabled": instance.registrations_open, "approval_required": False, "message": None, "url": None},
        "api_versions": {"mastodon": 2},
        "contact": {"email": "", "account": _contact_account()},
        "rules": rules_json(),
    }


def _users():
    return Account.objects.filter(domain__isnull=True).count()


@api(user="optional")
def instance_v1(request):
    instance = InstanceSettings.current()
    config = _configuration(instance)
    return {
        "uri": settings.ROSTRA_DOMAIN,
        "title": instance.name,
        "short_description": instance.description,
        "description": instance.description,
        "email": "",
        "version": VERSION,
        "urls": {"streaming_api": config["urls"]["streaming"]},
        "stats": {
            "user_count": _users(),
            "status_count": Post.objects.filter(author__domain__isnull=True).count(),
            "domain_count": 0,
        },
        "thumbnail": absolute(static("icons/icon-512.png")),
        "languages": ["en"],
        "registrations": instance.registrations_open,
        "approval_required": False,
        "invites_enabled": False,
        "configuration": {k: v for k, v in config.items() if k in ("statuses", "media_attachments", "polls", "accounts")},
        "contact_account": _contact_account(),
        "rules": rules_json(),
    }


@api(user="optional")
def rules(request):
    return rules_json()


@api(user="optional")
def peers(request):
    """Servers this one has exchanged activities with, as Mastodon lists them; not the ones
    that are suspended here."""
    from rostra.federation.models import DomainBlock, Instance

    suspended = DomainBlock.objects.filter(severity=DomainBlock.Severity.SUSPEND).values_list("domain", flat=True)
    return list(Instance.objects.exclude(domain__in=suspended).order_by("domain").values_list("domain", flat=True)[:10000])


@api(user="optional")
def activity(request):
    return []


@api(user="optional")
def extended_description(request):
    instance = InstanceSettings.current()
    from django.utils.html import escape, linebreaks

    return {"updated_at": timestamp(instance.updated_at), "content": linebreaks(escape(instance.description))}


@api(user="optional")
def custom_emojis(request):
    return []


@api("read")
def announcements(request):
    return []


@api("read:accounts")
def preferences(request):
    return {
        "posting:default:visibility": "public",
        "posting:default:sensitive": False,
        "posting:default:language": None,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }


def nodeinfo_links(request):
    base = f"{request.scheme}://{request.get_host()}"
    return json_response(
        {"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": f"{base}/nodeinfo/2.0"}]}
    )


def _active_since(days):
    """Local people who signed in or posted in the last ``days`` days."""
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    since = timezone.now() - timedelta(days=days)
    return Account.objects.filter(domain__isnull=True).filter(Q(last_post_at__gte=since) | Q(user__last_login__gte=since)).count()


def nodeinfo(request):
    """NodeInfo 2.0 with real numbers: people here, people active lately, posts written here."""
    instance = InstanceSettings.current()
    users = _users()
    response = json_response(
        {
            "version": "2.0",
            "software": {"name": "rostra", "version": __version__},
            "protocols": ["activitypub"],
            "services": {"outbound": [], "inbound": []},
            "usage": {
                "users": {"total": users, "activeMonth": _active_since(30), "activeHalfyear": _active_since(182)},
                "localPosts": Post.objects.filter(author__domain__isnull=True, state="published").count(),
            },
            "openRegistrations": instance.registrations_open,
            "metadata": {"nodeName": instance.name},
        }
    )
    response["Content-Type"] = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"'
    return response


routes = [
    route(r"api/v1/instance", get=instance_v1),
    route(r"api/v2/instance", get=instance_v2),
    route(r"api/v1/instance/rules", get=rules),
    route(r"api/v1/instance/peers", get=peers),
    route(r"api/v1/instance/activity", get=activity),
    route(r"api/v1/instance/extended_description", get=extended_description),
    route(r"api/v1/custom_emojis", get=custom_emojis),
    route(r"api/v1/announcements", get=announcements),
    route(r"api/v1/preferences", get=preferences),
]

routes += [
    route(r"\.well-known/nodeinfo", get=nodeinfo_links),
    route(r"nodeinfo/2\.0", get=nodeinfo),
]
