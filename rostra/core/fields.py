"""Model fields shared by every app."""

from django.db import models

from .ids import new_id


class SnowflakeField(models.BigIntegerField):
    """A primary key filled with a time-ordered random-tailed ID (see ``core.ids``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("default", new_id)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        path = "rostra.core.fields.SnowflakeField"
        for key, value in (("primary_key", True), ("default", new_id), ("editable", False)):
            if kwargs.get(key) == value:
                kwargs.pop(key)
        return name, path, args, kwargs
