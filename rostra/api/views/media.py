"""Media: uploading an image for a post to come, reading it back, describing it.

Uploads go through ``posts.actions.upload_media``, which decodes every image and writes a
new file from its pixels (no EXIF, no GPS). That happens before the answer, so v2 answers
200 with the URL at once rather than 202 and a URL to poll for.
"""

from rostra.core.errors import ActionError
from rostra.posts import actions
from rostra.posts.models import Media

from ..http import ApiError, api, not_found, parse_id, route
from ..serializers import media as media_json

MAX_DESCRIPTION = 1500


def _focus(params):
    """Mastodon's ``focus`` ("x,y", each -1.0 to 1.0), kept only in the answer's meta."""
    raw = params.text("focus")
    if not raw:
        return None
    try:
        x, y = (float(part) for part in raw.split(","))
    except ValueError:
        raise ApiError(422, "Validation failed: focus must be two numbers, x,y") from None
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise ApiError(422, "Validation failed: focus must lie between -1.0 and 1.0")
    return {"x": x, "y": y}


def _answer(item, focus=None):
    data = media_json(item)
    if focus is not None:
        data["meta"]["focus"] = focus
    return data


@api("write:media")
def upload(request):
    """``POST /api/v1/media`` and ``/api/v2/media``: a multipart ``file``."""
    params = request.params
    files = params.files.getlist("file") if hasattr(params.files, "getlist") else []
    if not files:
        raise ApiError(422, "Validation failed: File can't be blank (send the image as multipart 'file')")
    description = params.text("description")
    focus = _focus(params)
    try:
        item = actions.upload_media(request.viewer, files[0], description)
    except ActionError as exc:
        # Too big (413 from the image checks) is still "this file cannot be taken": 422, as Mastodon.
        raise ApiError(422, f"Validation failed: {exc.message}") from None
    return _answer(item, focus)


def _own(request, id):
    item = Media.objects.filter(pk=parse_id(id), account=request.viewer).first()
    if item is None:
        raise not_found()
    return item


@api("write:media")
def show(request, id):
    return _answer(_own(request, id))


@api("write:media")
def update(request, id):
    """``PUT /api/v1/media/:id``: a new description (and focus, echoed back)."""
    params = request.params
    item = _own(request, id)
    focus = _focus(params)
    if "description" in params:
        item = actions.describe_media(request.viewer, item.pk, params.text("description"))
    return _answer(item, focus)


routes = [
    route(r"api/v1/media", post=upload),
    route(r"api/v2/media", post=upload),
    route(r"api/v1/media/(?P<id>[^/]+)", get=show, put=update),
]
