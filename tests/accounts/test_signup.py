"""Signing up: who may take which name, which passwords are refused, and what gets stored."""

import time
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth import authenticate
from django.test import override_settings

from rostra.accounts import actions
from rostra.accounts.models import Account, User
from rostra.core.errors import ActionError
from rostra.core.ids import RANDOM_BITS, RANDOM_MASK, id_time
from rostra.core.models import InstanceSettings
from tests.helpers import PASSWORD


def sign_up(username, password=PASSWORD, **kwargs):
    kwargs.setdefault("check_open", False)
    return actions.sign_up(username, password, **kwargs)


# --- usernames ----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["a", "x" * 30, "Under_score_9", "_", "007"])
def test_usernames_of_letters_digits_and_underscores_up_to_30_are_accepted(username):
    user = sign_up(username)
    assert user.username == username
    assert Account.objects.get(user=user).username == username


@pytest.mark.parametrize(
    "username",
    ["", "   ", "x" * 31, "has space", "dash-name", "dot.name", "at@sign", "émile", "名前", "semi;colon", "a\nb"],
)
def test_usernames_outside_the_rules_are_refused_with_a_message(username):
    with pytest.raises(ActionError) as exc:
        sign_up(username)
    assert exc.value.field == "username"
    assert "1 to 30 letters" in exc.value.message
    assert not User.objects.exists()


def test_surrounding_whitespace_is_trimmed_from_a_username():
    user = sign_up("  dora  ")
    assert user.username == "dora"


@pytest.mark.parametrize("username", ["admin", "Admin", "ROOT", "moderator", "support", "api", "everyone", "signup"])
def test_reserved_usernames_are_refused_whatever_their_case(username):
    with pytest.raises(ActionError) as exc:
        sign_up(username)
    assert exc.value.message == "That username is reserved."
    assert not User.objects.exists()


@pytest.mark.parametrize("first,second", [("alice", "Alice"), ("Alice", "alice"), ("BoB", "bOb")])
def test_usernames_are_unique_without_regard_to_case(first, second):
    sign_up(first)
    with pytest.raises(ActionError) as exc:
        sign_up(second)
    assert exc.value.message == "That username is taken."
    assert User.objects.count() == 1
    assert Account.objects.count() == 1


def test_the_database_refuses_a_case_twin_even_past_the_check():
    """The unique index on lower(username) is the last wall if two sign-ups race."""
    from django.db import IntegrityError, transaction

    sign_up("alice")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="ALICE")


# --- passwords ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password,message",
    [
        ("short1!", "too short"),
        ("qwertyuiop", "too common"),
        ("8461937205", "entirely numeric"),
        ("gwendolyn_the_brave", "too similar"),
    ],
)
def test_weak_passwords_are_refused_with_a_message_that_says_why(password, message):
    with pytest.raises(ActionError) as exc:
        sign_up("gwendolyn_the_brave", password)
    assert exc.value.field == "password"
    assert message in exc.value.message
    assert not User.objects.exists()


def test_a_password_that_cannot_be_stored_is_refused_not_fatal():
    """A JSON client can send a lone surrogate; hashing it would raise UnicodeEncodeError."""
    with pytest.raises(ActionError) as exc:
        sign_up("erin", "a long password \ud800 here")
    assert exc.value.field == "password"
    assert not User.objects.exists()


def test_control_characters_are_dropped_from_the_email_address():
    user = sign_up("erin", email=" erin@example.org\x00 ")
    assert User.objects.get(pk=user.pk).email == "erin@example.org"


def test_an_empty_password_is_refused():
    with pytest.raises(ActionError) as exc:
        sign_up("erin", "")
    assert exc.value.field == "password"
    assert not User.objects.exists()


def test_passwords_are_stored_with_argon2_and_not_in_clear(settings):
    import rostra.settings as project

    # The other tests hash with a cheap hasher (tests/fixtures.py); this one uses Rostra's own.
    settings.PASSWORD_HASHERS = project.PASSWORD_HASHERS
    user = sign_up("frank", PASSWORD)
    stored = User.objects.get(pk=user.pk).password
    assert stored.startswith("argon2$argon2id$")
    assert PASSWORD not in stored
    assert authenticate(username="frank", password=PASSWORD) is not None
    assert authenticate(username="frank", password=PASSWORD + "x") is None


# --- closed registrations and rate limits -------------------------------------------------


def test_closed_registrations_refuse_sign_ups():
    settings = InstanceSettings.current()
    settings.registrations_open = False
    settings.save()
    with pytest.raises(ActionError) as exc:
        actions.sign_up("gina", PASSWORD)
    assert exc.value.status == 403
    assert "closed" in exc.value.message
    assert not User.objects.exists()


def test_open_registrations_accept_sign_ups_and_admins_can_still_create_people_when_closed():
    actions.sign_up("gina", PASSWORD)
    settings = InstanceSettings.current()
    settings.registrations_open = False
    settings.save()
    actions.sign_up("hank", PASSWORD, check_open=False)
    assert set(User.objects.values_list("username", flat=True)) == {"gina", "hank"}


@override_settings(ROSTRA_RATE_LIMITS={"signup": "3/3600", "login": "10/300", "post": "30/60"})
def test_one_address_cannot_sign_up_more_than_the_limit():
    for name in ("ivy1", "ivy2", "ivy3"):
        sign_up(name, ip="203.0.113.7")
    with pytest.raises(ActionError) as exc:
        sign_up("ivy4", ip="203.0.113.7")
    assert exc.value.status == 429
    assert "Try again in" in exc.value.message
    assert not User.objects.filter(username="ivy4").exists()
    # Another address is not held back by the first one's attempts.
    sign_up("jack", ip="198.51.100.1")
    assert User.objects.count() == 4


@override_settings(ROSTRA_RATE_LIMITS={"signup": "2/3600", "login": "10/300", "post": "30/60"})
def test_failed_sign_ups_count_against_the_limit_too():
    """Otherwise a script could probe for taken names without ever being slowed down."""
    sign_up("kate", ip="203.0.113.9")
    with pytest.raises(ActionError):
        sign_up("kate", ip="203.0.113.9")
    with pytest.raises(ActionError) as exc:
        sign_up("kim", ip="203.0.113.9")
    assert exc.value.status == 429


@override_settings(ROSTRA_RATE_LIMITS={"signup": "5/3600", "login": "3/300", "post": "30/60"})
def test_log_in_attempts_are_limited_per_name_whatever_the_address():
    for _ in range(3):
        actions.log_in_allowed("alice", "203.0.113.1")
    with pytest.raises(ActionError) as exc:
        actions.log_in_allowed("alice", "203.0.113.1")
    assert exc.value.status == 429
    # Guessing Alice's password from other addresses is held back by her name's counter.
    with pytest.raises(ActionError):
        actions.log_in_allowed("ALICE", "198.51.100.2")
    actions.log_in_allowed("bob", "198.51.100.3")


@override_settings(ROSTRA_RATE_LIMITS={"signup": "5/3600", "login": "3/300", "post": "30/60"})
def test_log_in_attempts_are_limited_per_address_whatever_the_name():
    for name in ("ann", "ben", "cat"):
        actions.log_in_allowed(name, "203.0.113.1")
    with pytest.raises(ActionError) as exc:
        actions.log_in_allowed("dan", "203.0.113.1")
    assert exc.value.status == 429
    actions.log_in_allowed("dan", "203.0.113.2")


# --- roles --------------------------------------------------------------------------------


def test_a_plain_sign_up_is_a_user_and_an_admin_sign_up_is_staff():
    user = sign_up("leo")
    admin = sign_up("lena", role=User.Role.ADMIN)
    assert (user.role, user.is_staff, user.is_moderator) == ("user", False, False)
    assert (admin.role, admin.is_staff, admin.is_moderator) == ("admin", True, True)


# --- IDs ----------------------------------------------------------------------------------


def test_ids_are_64_bit_time_ordered_and_carry_the_time_they_were_made():
    before = datetime.now(timezone.utc)
    users = []
    for i in range(5):
        users.append(sign_up(f"idtest{i}"))
        time.sleep(0.002)
    after = datetime.now(timezone.utc)
    ids = [u.pk for u in users]
    assert all(0 < pk < 2**63 for pk in ids)
    assert ids == sorted(ids), "IDs must sort in the order the rows were made"
    for pk in ids:
        assert before - timedelta(milliseconds=2) <= id_time(pk) <= after + timedelta(milliseconds=2)
    accounts = [u.account.pk for u in users]
    assert accounts == sorted(accounts)
    assert set(accounts).isdisjoint(ids)


def test_ids_cannot_be_guessed_by_counting():
    """Parler's sequential IDs let anyone walk the site; here neighbours tell nothing."""
    ids = [sign_up(f"walker{i}").pk for i in range(8)]
    # Two sign-ups in the same millisecond share the time bits and differ only in their random
    # tails, so a gap may be negative; what matters is that no neighbour is one step away.
    gaps = [b - a for a, b in zip(ids, ids[1:])]
    assert all(abs(gap) > 1 for gap in gaps)
    assert len(set(gaps)) == len(gaps), "equal gaps would make the next ID predictable"
    tails = [pk & RANDOM_MASK for pk in ids]
    assert len(set(tails)) == len(tails)
    # The low bits are random, not a counter: they do not go up one at a time.
    assert sorted(tails) != list(range(min(tails), min(tails) + len(tails)))
    # And IDs made in the same millisecond still differ in their random tail.
    from rostra.core.ids import new_id

    same_ms = [new_id(1_700_000_000_000) for _ in range(50)]
    assert len(set(same_ms)) == 50
    assert {pk >> RANDOM_BITS for pk in same_ms} == {same_ms[0] >> RANDOM_BITS}
