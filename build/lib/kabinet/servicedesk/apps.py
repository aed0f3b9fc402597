from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "kabinet.servicedesk"
    label = "servicedesk"
