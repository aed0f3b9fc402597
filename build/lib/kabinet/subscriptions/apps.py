from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "kabinet.subscriptions"
    label = "subscriptions"
