"""Background work on accounts."""

from django_tasks import task


@task(queue_name="default")
def run_archive_import(import_id, text=None):
    """An import a person uploaded (``archive.start_import``): it may ask other servers about
    thousands of accounts, so it never runs inside a web request."""
    from .archive import run_import

    run_import(import_id, text)
