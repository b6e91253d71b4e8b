from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "teletherapy.practice"
    label = "practice"
