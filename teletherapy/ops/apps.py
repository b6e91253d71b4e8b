from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the app: the health endpoint and the task worker. Depends only on lib."""

    name = "teletherapy.ops"
    label = "ops"

    def ready(self) -> None:
        from teletherapy.ops import checks  # noqa: F401 - registers the deploy checks
