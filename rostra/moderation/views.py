"""Pages of trust and safety: reporting, one's own decisions and appeals, the moderation area,
and the public transparency report.

Every /moderation URL answers 404 to anyone who is not a moderator, so the area's shape is
not revealed; actions still check the role themselves (``actions.require_moderator``).
"""

import csv
import io
from functools import wraps

from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_POST
from markupsafe import Markup

from rostra.core.errors import ActionError
from rostra.posts.models import Post
from rostra.web.views.common import error_response, get_account, get_visible_post, page, sign_in_required, viewer_of

from . import actions, queries, transparency
from .models import REPORT_REASONS, Appeal, AuditEntry, Decision, ModerationSettings, QueueItem, Report, Rule, Screening


def _found(queryset, value, message):
    """The row with primary key ``value``, or a 404 saying ``message``."""
    found = queryset.filter(pk=_id(value)).first()
    if found is None:
        raise Http404(message)
    return found


def _id(value):
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise Http404("Not found.") from None
    if not 0 < value < 2**63:
        raise Http404("Not found.")
    return value


def moderator_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated or not user.is_moderator:
            raise Http404("Not found.")
        return view(request, *args, **kwargs)

    return wrapper


def _is_admin(user):
    return user.role == user.Role.ADMIN or user.is_superuser


# --- reporting ----------------------------------------------------------------------------


@sign_in_required
def report(request):
    viewer = viewer_of(request)
    source = request.POST if request.method == "POST" else request.GET
    post = account = None
    if source.get("post"):
        post = get_visible_post(request, source["post"])
    elif source.get("account"):
        account = get_account(source["account"])
    else:
        raise Http404("Nothing to report.")
    ctx = {"post": post, "subject_account": account, "reasons": REPORT_REASONS, "title": "Report"}
    if request.method != "POST":
        return page(request, "moderation/report.html", ctx)
    try:
        actions.report(viewer, post=post, account=account, reason=request.POST.get("reason", ""),
                       comment=request.POST.get("comment", ""))
    except ActionError as exc:
        return error_response(request, exc, "moderation/report.html", ctx)
    return HttpResponseRedirect("/reports?sent=1")


@sign_in_required
def my_reports(request):
    items = Report.objects.filter(reporter=viewer_of(request)).select_related("account").order_by("-created_at")[:100]
    return page(request, "moderation/my_reports.html", {"reports": items, "sent": bool(request.GET.get("sent")),
                                                        "title": "My reports"})


# --- one's own decisions and appeals ------------------------------------------------------


@sign_in_required
def my_decisions(request):
    return page(request, "moderation/my_decisions.html",
                {"decisions": queries.decisions_for(viewer_of(request)), "title": "Moderation decisions"})


@sign_in_required
def decision(request, decision_id):
    viewer = viewer_of(request)
    found = Decision.objects.filter(pk=_id(decision_id)).select_related("moderator", "rule", "account").first()
    if found is None or (found.account_id != viewer.pk and not request.user.is_moderator):
        raise Http404("No such decision.")
    appeal = Appeal.objects.filter(decision=found).select_related("outcome").first()
    ctx = {"decision": found, "appeal": appeal, "title": "Decision", "is_owner": found.account_id == viewer.pk}
    if request.method == "POST":
        try:
            actions.appeal(viewer, found, request.POST.get("text", ""))
        except ActionError as exc:
            return error_response(request, exc, "moderation/decision.html", ctx)
        return HttpResponseRedirect(found.url)
    return page(request, "moderation/decision.html", ctx)


# --- the moderation area ------------------------------------------------------------------


@moderator_only
def queue(request):
    mine = request.GET.get("mine") == "1"
    try:
        offset = max(0, int(request.GET.get("offset", 0)))
    except ValueError:
        offset = 0
    items = queries.open_queue(offset=offset, assigned_to=request.user if mine else None)
    posts = {p.pk: p for p in Post.objects.filter(pk__in=[i.post_id for i in items if i.post_id]).select_related("author")}
    for item in items:
        item.post = posts.get(item.post_id)
    return page(request, "moderation/queue.html", {
        "items": items, "mine": mine, "offset": offset, "page_size": queries.QUEUE_PAGE,
        "stats": queries.dashboard(), "appeals": queries.open_appeals(), "title": "Moderation queue",
    })


@moderator_only
def item(request, item_id):
    found = _found(QueueItem.objects.select_related("account", "assigned_to"), item_id, "No such item.")
    post = Post.objects.filter(pk=found.post_id).select_related("author", "in_reply_to", "in_reply_to__author").first() if found.post_id else None
    thread = []
    if post is not None and post.thread_root_id:
        thread = list(Post.objects.filter(Q(pk=post.thread_root_id) | Q(thread_root_id=post.thread_root_id))
                      .select_related("author").order_by("id")[:30])
    account = post.author if post is not None else found.account
    history = list(Post.objects.filter(author=account).order_by("-id")[:10]) if account else []
    past = list(Decision.objects.filter(account=account).order_by("-created_at")[:20]) if account else []
    reports = list(Report.objects.filter(Q(queue_item=found) | (Q(post_id=found.post_id) if found.post_id else Q(pk=None)))
                   .select_related("reporter").order_by("-created_at")[:50])
    screenings = list(Screening.objects.filter(post_id=found.post_id).order_by("-created_at")[:5]) if found.post_id else []
    return page(request, "moderation/item.html", {
        "item": found, "post": post, "thread": thread, "account": account, "history": history, "past": past,
        "reports": reports, "screenings": screenings, "reasons": REPORT_REASONS, "title": "Queue item",
    })


@moderator_only
@require_POST
def assign(request, item_id):
    found = _found(QueueItem.objects, item_id, "No such item.")
    actions.assign(request.user, found, to_me=request.POST.get("release") != "1")
    return HttpResponseRedirect(f"/moderation/items/{found.pk}")


@moderator_only
@require_POST
def decide(request, item_id):
    found = _found(QueueItem.objects, item_id, "No such item.")
    days = request.POST.get("days") or None
    try:
        actions.decide(
            request.user, found, request.POST.get("action", ""),
            category=request.POST.get("category", ""), facts=request.POST.get("facts", ""),
            days=int(days) if days and days.isdigit() else None,
            police_referral=bool(request.POST.get("police_referral")), police_note=request.POST.get("police_note", ""),
        )
    except ActionError as exc:
        return error_response(request, exc)
    return HttpResponseRedirect("/moderation")


@moderator_only
@require_POST
def decide_appeal(request, appeal_id):
    found = _found(Appeal.objects.select_related("decision"), appeal_id, "No such appeal.")
    try:
        actions.decide_appeal(request.user, found, request.POST.get("outcome") == "restore", request.POST.get("facts", ""))
    except ActionError as exc:
        return error_response(request, exc)
    return HttpResponseRedirect(found.decision.url)


@moderator_only
@require_POST
def referral(request, decision_id):
    found = _found(Decision.objects, decision_id, "No such decision.")
    try:
        actions.set_police_referral(request.user, found, request.POST.get("referred") == "1", request.POST.get("note", ""))
    except ActionError as exc:
        return error_response(request, exc)
    return HttpResponseRedirect(found.url)


@moderator_only
def dashboard(request):
    return page(request, "moderation/dashboard.html", {"stats": queries.dashboard(), "title": "Moderation dashboard"})


@moderator_only
def rules(request):
    ctx = {
        "rules": Rule.objects.order_by("-created_at")[:500], "settings": ModerationSettings.current(),
        "kinds": Rule.Kind.choices, "actions_": Rule.Action.choices, "reasons": REPORT_REASONS,
        "is_admin": _is_admin(request.user), "title": "Rules and policy",
    }
    from .screening import thresholds

    ctx["thresholds"] = thresholds()
    if request.method == "POST":
        try:
            what = request.POST.get("what")
            if what == "rule":
                actions.add_rule(request.user, request.POST.get("kind", ""), request.POST.get("pattern", ""),
                                 request.POST.get("action", ""), request.POST.get("category", "other"))
            elif what == "toggle":
                rule = _found(Rule.objects, request.POST.get("rule"), "No such rule.")
                actions.set_rule_enabled(request.user, rule, request.POST.get("enabled") == "1")
            elif what == "policy":
                actions.update_policy(
                    request.user,
                    thresholds={c: request.POST.get(f"t_{c}") for c in ctx["thresholds"]},
                    targets={k: request.POST.get(k) for k in ("life_target_minutes", "high_target_minutes", "default_target_minutes")},
                )
        except ActionError as exc:
            return error_response(request, exc, "moderation/rules.html", ctx)
        return HttpResponseRedirect("/moderation/rules")
    return page(request, "moderation/rules.html", ctx)


@moderator_only
def audit(request):
    q = (request.GET.get("q") or "").strip()[:100]
    entries = AuditEntry.objects.order_by("-created_at")
    if q:
        entries = entries.filter(Q(actor_name__icontains=q) | Q(action__icontains=q) | Q(subject__icontains=q))
    return page(request, "moderation/audit.html", {"entries": entries[:200], "q": q, "title": "Audit log"})


# --- transparency (public) ----------------------------------------------------------------


def transparency_page(request):
    data = transparency.report()
    return page(request, "moderation/transparency.html",
                {"data": data, "chart": Markup(transparency.bar_chart(data)), "title": "Transparency report"})


def transparency_json(request):
    return JsonResponse(transparency.report())


def transparency_csv(request):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(transparency.CSV_COLUMNS)
    writer.writerows(transparency.csv_rows(transparency.report()))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="transparency.csv"'
    return response
