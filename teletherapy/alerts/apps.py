from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """Who is in the Telehealth Waiting Room, told live to the staff who may see it, and a
    word from the therapist to the person waiting. Sits above video: it reads presence."""

    name = "teletherapy.alerts"
    label = "alerts"

    def ready(self) -> None:
        from teletherapy.alerts import pages, push

        # Every staff page carries the alert tray; the appointment its check-in time and the
        # words sent; the client's Waiting Room the latest word.
        pages.fill_slots()
        # Presence changes in the video app are pushed to the alert sockets.
        push.connect_receivers()
