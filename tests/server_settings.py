"""Settings for the servers the tests start: Rostra's own, with a cheap argon2 (tests/hashers.py)."""

from rostra.settings import *  # noqa: F401,F403
from rostra.settings import PASSWORD_HASHERS

PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher", *PASSWORD_HASHERS]
