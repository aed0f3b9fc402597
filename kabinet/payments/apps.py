from django.utils.translation import gettext_lazy as _

from kabinet.core import appconfig


class PaymentsConfig(appconfig.KabinetAppConfig):
    name = "kabinet.payments"
    label = "payments"
    periodic_jobs = (("payments.capture_due", "kabinet.payments.tasks.capture_due_payments", 60),)
    demo_loader = "kabinet.payments.demo.seed_payments"
    demo_order = 60
    verbose_name = _("Payments")

    def ready(self) -> None:
        from . import inbound

        inbound.register()
