from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "teletherapy.reminders"
    label = "reminders"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed

        from teletherapy.clients.models import Client
        from teletherapy.lib import slots
        from teletherapy.reminders import pages
        from teletherapy.reminders.services import on_appointment_saved, on_guardians_changed
        from teletherapy.scheduling import marks
        from teletherapy.scheduling.signals import appointment_saved

        appointment_saved.connect(on_appointment_saved, dispatch_uid="reminders.plan")
        m2m_changed.connect(
            on_guardians_changed,
            sender=Client.guardians.through,
            dispatch_uid="reminders.guardians",
        )
        marks.register("Confirmed", pages.confirmed_condition())
        slots.fill("practice.settings_tabs", "reminders/_settings_tab.html")
        slots.fill(
            "scheduling.appointment.alerts",
            "reminders/_appointment_answer.html",
            context=pages.appointment_answer_context,
        )
        slots.fill(
            "scheduling.appointment.history",
            "reminders/_appointment_history.html",
            context=pages.appointment_history_context,
        )
        slots.fill(
            "portal.dashboard.alerts",
            "reminders/_portal_device_check.html",
            context=pages.portal_device_check_context,
        )
        slots.fill(
            "clients.detail", "reminders/_client_texts.html", context=pages.client_texts_context
        )
