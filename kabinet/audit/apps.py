from kabinet.core import appconfig


class AuditConfig(appconfig.KabinetAppConfig):
    name = "kabinet.audit"
    label = "audit"
