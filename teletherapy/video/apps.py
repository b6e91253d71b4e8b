from django.apps import AppConfig


class VideoConfig(AppConfig):
    name = "teletherapy.video"
    label = "video"

    def ready(self) -> None:
        from teletherapy.lib import slots
        from teletherapy.video.revoke import connect_receivers

        # The "session is ready" prompts and the session record on the lower apps' pages.
        slots.fill("practice.dashboard.alerts", "video/_staff_prompts.html")
        slots.fill("portal.dashboard.alerts", "video/_portal_prompts.html")
        slots.fill("scheduling.appointment.alerts", "video/_appointment_alert.html")
        slots.fill("scheduling.appointment.history", "video/_appointment_history.html")
        # Open calls hear about sign-out and access changes made in the lower apps.
        connect_receivers()
