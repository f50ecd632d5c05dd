from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "rostra.core"
    label = "core"
    verbose_name = "Instance"
