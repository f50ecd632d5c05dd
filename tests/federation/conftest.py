"""Federation tests: several real Rostra servers, each its own instance, talking over loopback."""

import pytest

from .servers import Databases, Server


@pytest.fixture(scope="session")
def fed_databases():
    databases = Databases()
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def servers(fed_databases):
    """Three running instances, started once for the federation tests: ``a``, ``b`` and ``c``."""
    started = {}

    def get(name):
        if name not in started:
            started[name] = Server(name, fed_databases).start()
        return started[name]

    yield get
    for server in started.values():
        server.cleanup()


@pytest.fixture
def a(servers):
    return servers("a")


@pytest.fixture
def b(servers):
    return servers("b")


@pytest.fixture
def c(servers):
    return servers("c")
