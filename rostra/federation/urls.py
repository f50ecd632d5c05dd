from django.urls import path, re_path

from . import pages, views

USERNAME = r"(?P<username>[A-Za-z0-9_]{1,30})"

urlpatterns = [
    path(".well-known/webfinger", views.webfinger, name="webfinger"),
    path(".well-known/host-meta", views.host_meta, name="host_meta"),
    path("actor", views.instance_actor, name="instance_actor"),
    path("inbox", views.inbox, name="shared_inbox"),
    re_path(rf"^@{USERNAME}/inbox$", views.inbox, name="inbox"),
    re_path(rf"^@{USERNAME}/outbox$", views.outbox, name="outbox"),
    re_path(rf"^@{USERNAME}/featured$", views.featured, name="featured"),
    path("moderation/servers", pages.servers, name="moderation_servers"),
    path("moderation/servers.csv", pages.servers_csv, name="moderation_servers_csv"),
]
