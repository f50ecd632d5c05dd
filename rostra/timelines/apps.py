from django.apps import AppConfig


class TimelinesConfig(AppConfig):
    name = "rostra.timelines"
    label = "timelines"
