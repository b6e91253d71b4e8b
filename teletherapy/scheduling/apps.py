from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "teletherapy.scheduling"
    label = "scheduling"
