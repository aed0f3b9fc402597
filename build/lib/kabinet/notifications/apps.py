from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kabinet.notifications"
    label = "notifications"
