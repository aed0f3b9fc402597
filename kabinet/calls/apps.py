from django.utils.translation import gettext_lazy as _

from kabinet.core import appconfig


class CallsConfig(appconfig.KabinetAppConfig):
    """Call details from billing: the client's calls, filtered, paged and exported."""

    name = "kabinet.calls"
    label = "calls"
    verbose_name = _("Call details")
    # Partitions for the coming months are made well ahead (on PostgreSQL); the import also
    # makes a missing one, so a late job never stops a package.
    periodic_jobs = (("calls.partitions", "kabinet.calls.tasks.partitions_task", 86400),)
    demo_loader = "kabinet.calls.demo.load"
    # After the exchange demo, whose billingsim round trip brings the closed months.
    demo_order = 1100

    def ready(self) -> None:
        from . import inbound

        inbound.register()
