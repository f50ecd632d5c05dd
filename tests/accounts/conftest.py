from tests.fixtures import fast_passwords, media_root  # noqa: F401
