"""Pages that list posts: home, discover, hashtags, search, notifications, bookmarks."""

from django.shortcuts import redirect

from rostra.timelines import queries

from .common import page, sign_in_required, viewer_of


def home(request):
    """The home feed for people signed in; the discover page for visitors."""
    viewer = viewer_of(request)
    if viewer is None:
        return discover(request)
    feed = queries.home_feed(viewer, request.GET.get("max_id"))
    return page(request, "feeds/home.html", {"feed": feed, "title": "Home"})


def discover(request):
    sort = "popular" if request.GET.get("sort") == "popular" else "new"
    cursor = request.GET.get("page" if sort == "popular" else "max_id")
    feed = queries.discover(viewer_of(request), cursor, sort=sort)
    return page(request, "feeds/discover.html", {"feed": feed, "sort": sort, "title": "Discover"})


def hashtag(request, name):
    feed = queries.hashtag_feed(viewer_of(request), name, request.GET.get("max_id"))
    return page(request, "feeds/hashtag.html", {"feed": feed, "name": name.lower(), "title": f"#{name.lower()}"})


def _look_up_elsewhere(q):
    """Someone signed in typed ``name@server`` or a URL: look it up there (and keep it here)."""
    from django.conf import settings

    from rostra.federation import resolve

    if not settings.ROSTRA_FEDERATION:
        return None
    try:
        if q.startswith(("https://", "http://")):
            return resolve.url(q)
        if resolve.HANDLE.match(q) and "@" in q.lstrip("@"):
            return resolve.handle(q.lstrip("@"))
    except resolve.NotResolved:
        return None
    return None


def search(request):
    q = request.GET.get("q", "").strip()[:200]
    viewer = viewer_of(request)
    context = {"q": q, "title": "Search"}
    if q:
        if q.startswith("#"):
            return redirect(f"/tags/{q[1:].split()[0].lower()}") if q[1:].split() else redirect("/search")
        found = _look_up_elsewhere(q) if viewer is not None else None
        if found is not None:
            return redirect(found.url if hasattr(found, "username") else f"/@{found.author.username}{'@' + found.author.domain if found.author.domain else ''}/{found.pk}")
        context["accounts"] = queries.search_accounts(viewer, q)
        context["hashtags"] = queries.search_hashtags(q)
        context["feed"] = queries.search_posts(viewer, q, request.GET.get("max_id"))
    return page(request, "feeds/search.html", context)


@sign_in_required
def notifications(request):
    viewer = viewer_of(request)
    result = queries.notifications(viewer, request.GET.get("max_id"))
    response = page(request, "feeds/notifications.html", {"notifications": result, "title": "Notifications"})
    if not request.GET.get("max_id"):
        queries.mark_notifications_read(viewer)
    return response


@sign_in_required
def bookmarks(request):
    feed = queries.bookmarks(viewer_of(request), request.GET.get("max_id"))
    return page(request, "feeds/bookmarks.html", {"feed": feed, "title": "Bookmarks"})
