from __future__ import annotations

from django.core.management import call_command
from django_tasks import task


@task()
def publish_scheduled_pages() -> None:
    """Publish pages whose scheduled time has come, and unpublish expired ones."""
    call_command("publish_scheduled", verbosity=0)
