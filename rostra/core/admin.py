from django.contrib import admin

from .models import InstanceSettings


@admin.register(InstanceSettings)
class InstanceSettingsAdmin(admin.ModelAdmin):
    """One row of settings; there is nothing to add or delete."""

    list_display = ("name", "max_post_length", "registrations_open")

    def has_add_permission(self, request):
        return not InstanceSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
