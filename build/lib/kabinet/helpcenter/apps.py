from django.apps import AppConfig


class HelpcenterConfig(AppConfig):
    name = "kabinet.helpcenter"
    label = "helpcenter"
