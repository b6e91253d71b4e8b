from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "teletherapy.quality"
    label = "quality"

    def ready(self) -> None:
        from teletherapy.lib import slots
        from teletherapy.quality.services import store_reports
        from teletherapy.video import reports

        # The signaling consumer hands over the reports it accepted; History shows them.
        reports.register(store_reports)
        slots.fill("scheduling.appointment.history", "quality/_history.html")
