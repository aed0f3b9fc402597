from kabinet.core import appconfig


class SubscriptionsConfig(appconfig.KabinetAppConfig):
    name = "kabinet.subscriptions"
    label = "subscriptions"
