from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "teletherapy.accounts"
    label = "accounts"
