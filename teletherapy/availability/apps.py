from django.apps import AppConfig


class AvailabilityConfig(AppConfig):
    name = "teletherapy.availability"
    label = "availability"

    def ready(self) -> None:
        from teletherapy.lib import slots

        slots.fill("practice.staff_profile", "availability/_staff_hours.html")
        slots.fill("practice.settings_tabs", "availability/_closures_tab.html")
