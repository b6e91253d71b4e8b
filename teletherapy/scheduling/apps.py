from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "teletherapy.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        from teletherapy.lib import slots
        from teletherapy.scheduling import teletherapy_off
        from teletherapy.scheduling.client_appointments import client_appointments_context
        from teletherapy.scheduling.dashboard import upcoming_context

        slots.fill(
            "practice.dashboard", "scheduling/_dashboard_upcoming.html", context=upcoming_context
        )
        slots.fill(
            "clients.client.appointments",
            "scheduling/_client_appointments.html",
            context=client_appointments_context,
        )
        # Switching a therapist's Teletherapy off asks what to do with their booked sessions.
        teletherapy_off.register()
