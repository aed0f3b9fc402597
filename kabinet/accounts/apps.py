from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kabinet.accounts"
    label = "accounts"
