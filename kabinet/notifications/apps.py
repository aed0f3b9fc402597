from kabinet.core import appconfig


class NotificationsConfig(appconfig.KabinetAppConfig):
    name = "kabinet.notifications"
    label = "notifications"
    periodic_jobs = (
        (
            "notifications.retry_emails",
            "kabinet.notifications.tasks.retry_due_notification_emails",
            60,
        ),
        (
            "notifications.retry_deliveries",
            "kabinet.notifications.tasks.retry_due_deliveries",
            60,
        ),
    )
