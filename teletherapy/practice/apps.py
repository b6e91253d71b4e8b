from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "teletherapy.practice"
    label = "practice"

    def ready(self) -> None:
        from teletherapy.practice import policy  # noqa: F401 - connects the sign-in receiver
