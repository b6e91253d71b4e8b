from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "teletherapy.portal"
    label = "portal"
