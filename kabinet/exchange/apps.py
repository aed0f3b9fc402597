from kabinet.core import appconfig


class ExchangeConfig(appconfig.KabinetAppConfig):
    name = "kabinet.exchange"
    label = "exchange"
    health_checks = ("kabinet.exchange.health.check_exchange",)
    # Last: one round trip through billingsim, with the demo's payments in it.
    demo_loader = "kabinet.exchange.demo.seed_exchange"
    demo_order = 1000

    def ready(self) -> None:
        from . import inbound, outbound, outbox

        inbound.register()
        outbox.register()
        outbound.connect()
