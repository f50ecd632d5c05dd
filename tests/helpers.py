"""Helpers that let a test read like a person's story."""

import time

from rostra.accounts import actions as accounts
from rostra.accounts.models import Account, User

PASSWORD = "a long test password 42"


def make_user(username, role=User.Role.USER, **profile):
    """Sign someone up through the real action; returns their Account."""
    user = accounts.sign_up(username, PASSWORD, role=role, check_open=False)
    account = user.account
    if profile:
        accounts.update_profile(account, **profile)
    return Account.objects.get(pk=account.pk)


def eventually(check, timeout=10.0, interval=0.05, message="condition never became true"):
    """Wait for background work (another process's worker) to make ``check()`` truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(interval)
