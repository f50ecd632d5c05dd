"""The one exception actions raise when a person asked for something that cannot be done."""


class ActionError(Exception):
    """A refusal with a message fit to show the person who asked, and an HTTP status.

    ``field`` names the form field at fault, when there is one, so forms can show the
    message beside it.
    """

    def __init__(self, message, status=400, field=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


class NotFound(ActionError):
    def __init__(self, message="Not found."):
        super().__init__(message, status=404)


class Forbidden(ActionError):
    def __init__(self, message="You are not allowed to do that."):
        super().__init__(message, status=403)
