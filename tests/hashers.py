"""A cheap argon2 for tests: the same algorithm and hash format, a fraction of the cost.

Real sign-ups cost about 0.1 s of CPU for argon2 (the point of it); the suite signs up and
logs in thousands of times, in this process and in the servers it starts. Hashes made here
are ordinary argon2 hashes, so a server with the production hashers checks them too.
tests/accounts/test_signup.py still checks the hasher production uses.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 64
    parallelism = 1
