from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "rostra.federation"
    label = "federation"
    verbose_name = "Federation"
