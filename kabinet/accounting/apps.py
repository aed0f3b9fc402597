from django.utils.translation import gettext_lazy as _

from kabinet.core import appconfig


class AccountingConfig(appconfig.KabinetAppConfig):
    name = "kabinet.accounting"
    label = "accounting"
    verbose_name = _("Invoices and statements")
    demo_loader = "kabinet.accounting.demo.seed_accounting"
    demo_order = 900  # after payments; before the exchange's round trip (1000)

    def ready(self) -> None:
        from kabinet.exchange.registry import register_outbound
        from kabinet.payments.events import payment_received

        from . import receivers

        register_outbound("invoice.issued")
        payment_received.connect(receivers.invoice_paid, dispatch_uid="accounting.invoice_paid")
