from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "teletherapy.accounts"
    label = "accounts"

    def ready(self) -> None:
        from teletherapy.accounts import signals  # noqa: F401 - connects the receivers
        from teletherapy.lib import mail  # noqa: F401 - registers the deploy check
