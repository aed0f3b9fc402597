from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "kabinet.catalog"
    label = "catalog"
