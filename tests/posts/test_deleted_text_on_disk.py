"""Deletes that delete: after a post is deleted, the database file holds no copy of its words."""

from pathlib import Path

import pytest
from django.db import connection

from rostra.posts import actions


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads the SQLite file itself")
def test_a_deleted_post_leaves_no_copy_of_its_text_in_the_database_file(alice):
    for i in range(30):
        actions.create_post(alice, f"ordinary post number {i}")
    secret = actions.create_post(alice, "my address is 12 quokkamarmalade lane")
    edited = actions.create_post(alice, "first draft mentions wombatcitadel")
    actions.edit_post(alice, edited, "second draft says nothing")
    actions.delete_post(alice, secret)
    actions.delete_post(alice, edited)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = Path(connection.settings_dict["NAME"]).read_bytes()
    assert b"ordinary post number" in data  # the check can see text that is there
    assert b"quokkamarmalade" not in data
    assert b"wombatcitadel" not in data
