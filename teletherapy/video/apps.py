from django.apps import AppConfig


class VideoConfig(AppConfig):
    name = "teletherapy.video"
    label = "video"
