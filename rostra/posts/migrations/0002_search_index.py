"""Full-text search: an FTS5 table on SQLite, a GIN expression index on PostgreSQL."""

from django.db import migrations


def forwards(apps, schema_editor):
    from rostra.posts.search import create_index

    create_index(schema_editor)


def backwards(apps, schema_editor):
    from rostra.posts.search import drop_index

    drop_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("posts", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
