"""Instance-wide settings, edited by admins."""

from django.core.cache import cache
from django.db import models

CACHE_KEY = "instance-settings:v1"


class InstanceSettings(models.Model):
    """The one row of settings an admin can change without restarting anything."""

    name = models.CharField(max_length=100, default="Rostra")
    description = models.TextField(blank=True, default="A Rostra community.")
    max_post_length = models.PositiveIntegerField(default=1000)
    registrations_open = models.BooleanField(default=True)
    max_media_per_post = models.PositiveSmallIntegerField(default=4)
    popular_window_hours = models.PositiveIntegerField(default=48)
    home_feed_size = models.PositiveIntegerField(
        default=800, help_text="How many entries each home feed keeps; older ones are trimmed."
    )
    updated_at = models.DateTimeField(auto_now=True, help_text="When an admin last changed these settings.")

    class Meta:
        verbose_name = "instance settings"
        verbose_name_plural = "instance settings"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)
        cache.delete(CACHE_KEY)

    @classmethod
    def current(cls):
        """The settings, cached for a minute so a page view does not cost a query."""
        value = cache.get(CACHE_KEY)
        if value is None:
            value, _ = cls.objects.get_or_create(pk=1)
            cache.set(CACHE_KEY, value, 60)
        return value
