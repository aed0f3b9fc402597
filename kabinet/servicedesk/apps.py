from kabinet.core import appconfig


class ServicedeskConfig(appconfig.KabinetAppConfig):
    name = "kabinet.servicedesk"
    label = "servicedesk"
    demo_loader = "kabinet.servicedesk.demo.seed_servicedesk"
    demo_order = 40
