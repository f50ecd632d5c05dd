"""Fixtures shared by the accounts, posts and timelines tests.

Imported by each folder's conftest.py, so a folder gets them without touching the root one.
"""

import pytest


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Hash test passwords with a cheap hasher: argon2 costs ~0.1 s per sign-up.

    tests/accounts/test_signup.py overrides this fixture, so the hasher a real
    sign-up uses is still checked there.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test writes its files to a folder of its own, so tests can look at the disk."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root
