from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "rostra.api"
    label = "api"
    verbose_name = "Mastodon client API"
