from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "teletherapy.clients"
    label = "clients"
