"""Settings pages: the profile, muted terms, muted and blocked people, deleting the account."""

from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.views.decorators.http import require_POST

from rostra.accounts import actions
from rostra.accounts.models import Block, Mute
from rostra.core.errors import ActionError

from .common import error_response, page, sign_in_required, viewer_of


@sign_in_required
def profile(request):
    viewer = viewer_of(request)
    if request.method == "POST":
        labels = request.POST.getlist("link_label")
        urls = request.POST.getlist("link_url")
        try:
            actions.update_profile(
                viewer,
                display_name=request.POST.get("display_name", ""),
                bio=request.POST.get("bio", ""),
                links=list(zip(labels, urls)),
                locked=bool(request.POST.get("locked")),
                avatar=request.FILES.get("avatar"),
                header=request.FILES.get("header"),
            )
        except ActionError as exc:
            return error_response(request, exc, "settings/profile.html", {"title": "Profile", "form": request.POST})
        return HttpResponseRedirect("/settings/profile?saved=1")
    return page(request, "settings/profile.html", {"title": "Profile", "saved": request.GET.get("saved")})


@sign_in_required
def filters(request):
    viewer = viewer_of(request)
    if request.method == "POST":
        try:
            if request.POST.get("remove"):
                actions.remove_keyword_filter(viewer, request.POST["remove"])
            else:
                actions.add_keyword_filter(
                    viewer, request.POST.get("phrase", ""), whole_word=bool(request.POST.get("whole_word"))
                )
        except ActionError as exc:
            return error_response(request, exc, "settings/filters.html", {"title": "Muted terms", "filters": viewer.keyword_filters.all()})
        return HttpResponseRedirect("/settings/filters")
    return page(
        request, "settings/filters.html", {"title": "Muted terms", "filters": viewer.keyword_filters.order_by("phrase")}
    )


@sign_in_required
def relationships(request):
    viewer = viewer_of(request)
    return page(
        request,
        "settings/relationships.html",
        {
            "title": "Blocked and muted",
            "blocked": [b.target for b in Block.objects.filter(account=viewer).select_related("target")],
            "muted": [m.target for m in Mute.objects.filter(account=viewer).select_related("target")],
        },
    )


@sign_in_required
def delete_account(request):
    viewer = viewer_of(request)
    if request.method == "POST":
        if not request.user.check_password(request.POST.get("password", "")):
            return error_response(
                request,
                ActionError("That password is not right.", field="password"),
                "settings/delete.html",
                {"title": "Delete account"},
            )
        actions.delete_account(viewer)
        logout(request)
        return HttpResponseRedirect("/?deleted=1")
    return page(request, "settings/delete.html", {"title": "Delete account"})
