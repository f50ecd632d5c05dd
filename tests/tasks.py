"""Tasks that exist only for tests of the task workers."""

from django.db.models import F
from django_tasks import task

from rostra.accounts.models import Account


@task()
def bump_posts_count(account_id):
    """Add one to a counter: run twice, and the count shows it."""
    Account.objects.filter(pk=account_id).update(posts_count=F("posts_count") + 1)
