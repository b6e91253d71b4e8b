from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "teletherapy.audit"
    label = "audit"
