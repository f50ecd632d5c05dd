"""Markers: where a person stopped reading home and notifications, shared by all their apps.

The notifications marker is the web's read position too (``Account.notifications_seen_id``):
saving it clears the unread count everywhere, and reading it reflects what the browser saw.
"""

from rostra.core.ids import id_time
from rostra.timelines import actions
from rostra.timelines.models import Marker

from ..http import ApiError, api, route
from ..serializers import timestamp

TIMELINES = Marker.Timeline.values


def _marker(last_read_id, version, updated_at):
    return {"last_read_id": str(last_read_id), "version": version, "updated_at": timestamp(updated_at)}


def _markers(viewer, timelines):
    found = {m.timeline: m for m in Marker.objects.filter(account=viewer, timeline__in=timelines)}
    result = {}
    for name in timelines:
        marker = found.get(name)
        if name == Marker.Timeline.NOTIFICATIONS:
            seen = viewer.notifications_seen_id
            if seen and (marker is None or seen != marker.last_read_id):
                # The web moved the read position since any app saved one.
                version = marker.version if marker is not None else 0
                result[name] = _marker(seen, version, id_time(seen) if marker is None else marker.updated_at)
                continue
        if marker is not None:
            result[name] = _marker(marker.last_read_id, marker.version, marker.updated_at)
    return result


@api("read:statuses")
def get_markers(request):
    asked = [str(t) for t in request.params.getlist("timeline")]
    return _markers(request.viewer, [t for t in dict.fromkeys(asked) if t in TIMELINES])


def _last_read_id(params, timeline):
    """``home[last_read_id]`` from a form, or ``{"home": {"last_read_id": ...}}`` from JSON."""
    value = params.get(f"{timeline}[last_read_id]")
    nested = params.get(timeline)
    if value is None and isinstance(nested, dict):
        value = nested.get("last_read_id")
    if value is None:
        return None
    value = str(value)
    if not value.isdigit() or len(value) > 19 or int(value) >= 2**63:
        raise ApiError(422, f"Validation failed: {timeline}[last_read_id] must be an ID")
    return int(value)


@api("write:statuses")
def save_markers(request):
    saved = []
    for timeline in TIMELINES:
        last_read_id = _last_read_id(request.params, timeline)
        if last_read_id is not None:
            actions.save_marker(request.viewer, timeline, last_read_id)
            saved.append(timeline)
    return _markers(request.viewer, saved)


routes = [route(r"api/v1/markers", get=get_markers, post=save_markers)]
