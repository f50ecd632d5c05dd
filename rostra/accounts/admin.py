"""The admin area for people: badges and roles, set through the same actions as everywhere."""

from django.contrib import admin

from . import actions
from .models import Account, User


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("handle", "display_name", "verified", "public_figure", "parody", "followers_count", "posts_count", "created_at")
    list_filter = ("verified", "public_figure", "parody", "locked")
    search_fields = ("username", "display_name", "domain")
    fields = ("username", "domain", "display_name", "bio", "verified", "public_figure", "parody", "locked", "followers_count", "following_count", "posts_count", "created_at")
    readonly_fields = ("username", "domain", "display_name", "bio", "locked", "followers_count", "following_count", "posts_count", "created_at")

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        actions.set_badges(
            request.user,
            obj,
            verified=form.cleaned_data.get("verified"),
            public_figure=form.cleaned_data.get("public_figure"),
            parody=form.cleaned_data.get("parody"),
        )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("username", "email", "role", "is_active", "date_joined", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "email")
    fields = ("username", "email", "role", "is_active", "date_joined", "last_login")
    readonly_fields = ("username", "email", "date_joined", "last_login")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if "role" in form.changed_data:
            actions.set_role(request.user, obj, form.cleaned_data["role"])
        if "is_active" in form.changed_data:
            User.objects.filter(pk=obj.pk).update(is_active=form.cleaned_data["is_active"])
