from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "kabinet.cms"
    label = "cms"
