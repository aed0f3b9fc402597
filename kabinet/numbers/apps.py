from django.utils.translation import gettext_lazy as _

from kabinet.core import appconfig


class NumbersConfig(appconfig.KabinetAppConfig):
    """The client's phone numbers from billing, and call labelling (маркировка звонков)."""

    name = "kabinet.numbers"
    label = "numbers"
    verbose_name = _("Numbers and call labelling")
    demo_loader = "kabinet.numbers.demo.load"
    demo_order = 170
    roles_setup = "kabinet.numbers.roles.editor_permissions"

    def ready(self) -> None:
        from kabinet.exchange.registry import register_outbound

        from . import inbound

        inbound.register()
        register_outbound("call_label.submitted", "call_label.withdrawn")
