from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "kabinet.exchange"
    label = "exchange"
