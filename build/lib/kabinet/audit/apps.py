from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kabinet.audit"
    label = "audit"
