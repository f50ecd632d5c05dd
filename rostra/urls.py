from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("rostra.api.urls")),
    path("", include("rostra.moderation.urls")),
    path("", include("rostra.federation.urls")),
    path("", include("rostra.web.urls")),
]
