from kabinet.core import appconfig


class CatalogConfig(appconfig.KabinetAppConfig):
    name = "kabinet.catalog"
    label = "catalog"
    demo_loader = "kabinet.catalog.demo.seed_catalog"
    demo_order = 10
