from kabinet.core import appconfig


class MessagingConfig(appconfig.KabinetAppConfig):
    name = "kabinet.messaging"
    label = "messaging"
    demo_loader = "kabinet.messaging.demo.seed_messaging"
    demo_order = 50
