from kabinet.core import appconfig


class AccountsConfig(appconfig.KabinetAppConfig):
    name = "kabinet.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from .signals import record_sign_in, record_sign_out

        user_logged_in.connect(record_sign_in, dispatch_uid="kabinet_record_sign_in")
        user_logged_out.connect(record_sign_out, dispatch_uid="kabinet_record_sign_out")
