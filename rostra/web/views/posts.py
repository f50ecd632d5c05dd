"""Pages and buttons for single posts: the thread, writing, editing, voting, echoing."""

from django.http import Http404, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views.decorators.http import require_POST

from rostra.core.errors import ActionError
from rostra.posts import actions
from rostra.posts.models import Post, Visibility
from rostra.timelines import queries

from .common import back, error_response, get_visible_post, is_htmx, page, sign_in_required, viewer_of


def thread(request, username, post_id):
    post = get_visible_post(request, post_id)
    if post.author.username.lower() != username.lower().split("@")[0]:
        raise Http404("No such post.")
    if post.is_plain_echo:
        return HttpResponseRedirect(post.echo_of.url)
    ancestors, post, descendants = queries.thread(viewer_of(request), post)
    return page(
        request,
        "posts/thread.html",
        {"post": post, "ancestors": ancestors, "descendants": descendants, "title": f"{post.author.name}: {post.text[:60]}"},
    )


def history(request, username, post_id):
    post = get_visible_post(request, post_id)
    versions = list(post.edits.all())
    return page(request, "posts/history.html", {"post": post, "versions": versions, "title": "Edit history"})


def _compose_context(request, **extra):
    ctx = {
        "draft": {
            "text": request.POST.get("text", ""),
            "spoiler_text": request.POST.get("spoiler_text", ""),
            "visibility": request.POST.get("visibility", "public"),
            "sensitive": bool(request.POST.get("sensitive")),
        },
        "title": "New post",
    }
    ctx.update(extra)
    return ctx


@sign_in_required
def compose(request):
    """Write a post, a comment (``in_reply_to``) or an echo with a comment (``echo_of``)."""
    viewer = viewer_of(request)
    reply_to = echo_of = None
    source = request.POST if request.method == "POST" else request.GET
    if source.get("in_reply_to"):
        reply_to = get_visible_post(request, source["in_reply_to"])
    if source.get("echo_of"):
        echo_of = get_visible_post(request, source["echo_of"])
    if request.method != "POST":
        return page(request, "posts/compose.html", _compose_context(request, reply_to=reply_to, echo_of=echo_of))
    media_ids = []
    try:
        files = request.FILES.getlist("media")
        limit = 4
        if len(files) > limit:
            raise ActionError(f"A post can have at most {limit} images.", status=422, field="media")
        descriptions = request.POST.getlist("media_description")
        for i, upload in enumerate(files):
            description = descriptions[i] if i < len(descriptions) else ""
            media_ids.append(actions.upload_media(viewer, upload, description).pk)
        post = actions.create_post(
            viewer,
            request.POST.get("text", ""),
            spoiler_text=request.POST.get("spoiler_text", ""),
            sensitive=bool(request.POST.get("sensitive")),
            visibility=request.POST.get("visibility", Visibility.PUBLIC),
            in_reply_to=reply_to,
            echo_of=echo_of,
            media_ids=media_ids,
        )
    except ActionError as exc:
        actions.discard_media(viewer, media_ids)
        return error_response(
            request, exc, "posts/compose.html", _compose_context(request, reply_to=reply_to, echo_of=echo_of)
        )
    if request.POST.get("next"):
        return back(request)
    return HttpResponseRedirect(post.url)


@sign_in_required
def edit(request, username, post_id):
    viewer = viewer_of(request)
    post = get_visible_post(request, post_id)
    if post.author_id != viewer.pk:
        raise Http404("No such post.")
    if request.method == "POST":
        try:
            post = actions.edit_post(
                viewer,
                post,
                request.POST.get("text", ""),
                spoiler_text=request.POST.get("spoiler_text", ""),
                sensitive=bool(request.POST.get("sensitive")),
            )
        except ActionError as exc:
            return error_response(request, exc, "posts/edit.html", {"post": post, "draft": request.POST})
        return HttpResponseRedirect(post.url)
    draft = {"text": post.text, "spoiler_text": post.spoiler_text, "sensitive": post.sensitive}
    return page(request, "posts/edit.html", {"post": post, "draft": draft, "title": "Edit post"})


def _post_button(action):
    """A POST endpoint acting on one post; htmx gets the post re-rendered, others a redirect."""

    @sign_in_required
    @require_POST
    def view(request, post_id):
        viewer = viewer_of(request)
        post = get_visible_post(request, post_id)
        try:
            result = action(viewer, post)
        except ActionError as exc:
            return error_response(request, exc)
        if is_htmx(request):
            shown = Post.objects.select_related("author", "echo_of", "echo_of__author").filter(pk=post.pk).first()
            if shown is None:
                return render(request, "_flash.html", {"message": "Deleted.", "kind": "ok"})
            queries.hydrate(viewer, [shown])
            return render(request, "_post_single.html", {"post": shown, "viewer": viewer, "csrf": get_token(request)})
        return back(request, fallback=post.url if result is not None else "/")

    return view


vote = _post_button(actions.vote)
unvote = _post_button(actions.unvote)
bookmark = _post_button(actions.bookmark)
unbookmark = _post_button(actions.unbookmark)
echo = _post_button(lambda viewer, post: actions.echo(viewer, post))
unecho = _post_button(actions.unecho)


@sign_in_required
@require_POST
def delete(request, post_id):
    viewer = viewer_of(request)
    post = get_visible_post(request, post_id)
    try:
        actions.delete_post(viewer, post)
    except ActionError as exc:
        return error_response(request, exc)
    if is_htmx(request):
        return render(request, "_flash.html", {"message": "Post deleted.", "kind": "ok"})
    target = request.POST.get("next", "")
    if str(post.pk) in target:
        return HttpResponseRedirect(viewer.url)
    return back(request, fallback=viewer.url)
