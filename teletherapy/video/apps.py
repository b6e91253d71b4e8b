from django.apps import AppConfig


class VideoConfig(AppConfig):
    name = "teletherapy.video"
    label = "video"

    def ready(self) -> None:
        from teletherapy.video.revoke import connect_receivers

        # Open calls hear about sign-out and access changes made in the lower apps.
        connect_receivers()
