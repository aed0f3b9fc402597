from django.utils.translation import gettext_lazy as _

from kabinet.core import appconfig


class ForecastConfig(appconfig.KabinetAppConfig):
    name = "kabinet.forecast"
    label = "forecast"
    verbose_name = _("Balance forecast and alerts")
    periodic_jobs = (("forecast.pass", "kabinet.forecast.tasks.forecast_pass_task", 3600),)
