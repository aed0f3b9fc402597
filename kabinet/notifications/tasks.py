from __future__ import annotations

from django_tasks import task

from . import channels, services


@task()
def deliver_notification_emails(notification_ids: list[int]) -> int:
    """Send queued notification e-mails; failures stay pending and are retried later."""
    return sum(services.notification_deliver_email(notification_id=pk) for pk in notification_ids)


@task()
def retry_due_notification_emails() -> int:
    return services.notification_retry_due_emails()


@task()
def send_deliveries(delivery_ids: list[int]) -> int:
    """Send queued SMS (and other channel) deliveries; failures are retried later."""
    return sum(channels.delivery_send(delivery_id=pk) for pk in delivery_ids)


@task()
def retry_due_deliveries() -> int:
    return channels.deliveries_retry_due()
