"""People and switches for trust-and-safety stories."""

import os
from pathlib import Path

import pytest

from rostra.accounts.models import User
from tests.helpers import make_user
from tests.web.conftest import Visitor, visitor_factory  # noqa: F401  (the HTTP stories use them)

MODEL_FILE = Path(__file__).resolve().parents[2] / "rostra" / "moderation" / "model" / "model.onnx"


def require_model():
    """Screening stories need the real shipped model; without it they skip (and fail in CI)."""
    if MODEL_FILE.exists():
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"the moderation model is missing ({MODEL_FILE}); CI must test screening with it")
    pytest.skip(f"the moderation model is not built yet ({MODEL_FILE} missing)")


@pytest.fixture(autouse=True)
def _model_only_where_asked(settings):
    """Stories about queues, reports and decisions must not hinge on what the model thinks of
    their sample sentences; those about screening ask for ``model_screening``."""
    settings.ROSTRA_SCREENING = "off"


@pytest.fixture
def model_screening(settings):
    """Screening on, with the real model."""
    require_model()
    settings.ROSTRA_SCREENING = "model"
    settings.ROSTRA_SCREENING_TIMEOUT = 30


@pytest.fixture
def mod(db):
    return make_user("mod_one", role=User.Role.MODERATOR)


@pytest.fixture
def mod2(db):
    return make_user("mod_two", role=User.Role.MODERATOR)


@pytest.fixture
def admin(db):
    return make_user("the_admin", role=User.Role.ADMIN)
