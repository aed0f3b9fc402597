from django.utils.translation import gettext_lazy as _

from kabinet.core import appconfig


class ContinuityConfig(appconfig.KabinetAppConfig):
    """Service that never stops for a client who pays: promised payments, automatic invoices,
    card autopay."""

    name = "kabinet.continuity"
    label = "continuity"
    verbose_name = _("Promised payments")
    periodic_jobs = (
        ("continuity.pass", "kabinet.continuity.tasks.credits_pass_task", 3600),
        ("continuity.autopay", "kabinet.continuity.tasks.autopay_pass_task", 600),
    )
    demo_loader = "kabinet.continuity.demo.load"
    demo_order = 160

    def ready(self) -> None:
        from kabinet.exchange.registry import register_outbound
        from kabinet.forecast.events import balance_low
        from kabinet.payments.events import card_saved, payment_credited, payment_declined

        from . import receivers

        register_outbound("credit.promised", "credit.ended")
        payment_credited.connect(receivers.credit_covered, dispatch_uid="continuity.covered")
        balance_low.connect(receivers.balance_low, dispatch_uid="continuity.auto_invoice")
        balance_low.connect(receivers.autopay_on_low, dispatch_uid="continuity.autopay")
        card_saved.connect(receivers.card_saved, dispatch_uid="continuity.card_saved")
        payment_declined.connect(receivers.payment_declined, dispatch_uid="continuity.declined")
