from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "kabinet.exchange"
    label = "exchange"

    def ready(self) -> None:
        from . import inbound, outbox

        inbound.register()
        outbox.register()
