from kabinet.core import appconfig


class HelpcenterConfig(appconfig.KabinetAppConfig):
    name = "kabinet.helpcenter"
    label = "helpcenter"
    demo_loader = "kabinet.helpcenter.demo.seed_help"
    demo_order = 30
