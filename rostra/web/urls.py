from django.conf import settings
from django.urls import path, re_path
from django.views.static import serve

from rostra.federation import views as activitypub
from rostra.federation.views import negotiated

from .views import auth, feeds, moving, posts, preferences, profiles, pwa
from .views import portability


def _people_json(request, username, direction):
    view = activitypub.followers if direction == "followers" else activitypub.following
    return view(request, username)

# A local name, or name@server for someone elsewhere (a server may have a port: tests, small hosts).
HANDLE = r"(?P<username>[A-Za-z0-9_]{1,30}|[A-Za-z0-9_][A-Za-z0-9_.-]{0,29}@[A-Za-z0-9.-]+(?::\d{1,5})?)"

urlpatterns = [
    path("", feeds.home, name="home"),
    path("discover", feeds.discover, name="discover"),
    path("tags/<str:name>", feeds.hashtag, name="hashtag"),
    path("search", feeds.search, name="search"),
    path("notifications", feeds.notifications, name="notifications"),
    path("bookmarks", feeds.bookmarks, name="bookmarks"),
    path("compose", posts.compose, name="compose"),
    path("posts/<int:post_id>/vote", posts.vote, name="vote"),
    path("posts/<int:post_id>/unvote", posts.unvote, name="unvote"),
    path("posts/<int:post_id>/echo", posts.echo, name="echo"),
    path("posts/<int:post_id>/unecho", posts.unecho, name="unecho"),
    path("posts/<int:post_id>/bookmark", posts.bookmark, name="bookmark"),
    path("posts/<int:post_id>/unbookmark", posts.unbookmark, name="unbookmark"),
    path("posts/<int:post_id>/delete", posts.delete, name="delete"),
    path("signup", auth.signup, name="signup"),
    path("login", auth.log_in, name="login"),
    path("logout", auth.log_out, name="logout"),
    path("follow-requests", profiles.follow_requests, name="follow_requests"),
    path("settings/profile", preferences.profile, name="settings_profile"),
    path("settings/filters", preferences.filters, name="settings_filters"),
    path("settings/relationships", preferences.relationships, name="settings_relationships"),
    path("settings/delete", preferences.delete_account, name="settings_delete"),
    path("settings/moving", moving.moving, name="settings_moving"),
    path("settings/export", portability.export, name="settings_export"),
    path("settings/export/archive.zip", portability.download_archive, name="settings_export_archive"),
    path("settings/export/<str:file_name>", portability.download_csv, name="settings_export_csv"),
    path("settings/import", portability.import_page, name="settings_import"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline", pwa.offline, name="offline"),
    # Profiles and threads are also ActivityPub actors and notes (chosen by the Accept header).
    re_path(rf"^@{HANDLE}$", negotiated(activitypub.actor)(profiles.profile), name="profile"),
    re_path(rf"^@{HANDLE}/(?P<tab>replies|media)$", profiles.profile, name="profile_tab"),
    re_path(rf"^@{HANDLE}/(?P<direction>followers|following)$", negotiated(_people_json)(profiles.people), name="people"),
    re_path(rf"^@{HANDLE}/(?P<verb>follow|unfollow|block|unblock|mute|unmute)$", profiles.account_action, name="account_action"),
    re_path(rf"^@{HANDLE}/follow-request/(?P<answer>accept|reject)$", profiles.answer_follow_request, name="answer_follow_request"),
    re_path(rf"^@{HANDLE}/(?P<post_id>\d{{1,20}})$", negotiated(activitypub.note)(posts.thread), name="thread"),
    re_path(rf"^@{HANDLE}/(?P<post_id>\d{{1,20}})/edit$", posts.edit, name="edit"),
    re_path(rf"^@{HANDLE}/(?P<post_id>\d{{1,20}})/history$", posts.history, name="history"),
    # Granian serves these directly in production; this is for other servers and tests.
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]
