from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "kabinet.messaging"
    label = "messaging"
