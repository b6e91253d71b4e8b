from django.urls import include, path

urlpatterns = [
    path("", include("teletherapy.ops.urls")),
    path("", include("teletherapy.practice.urls")),
    path("accounts/", include("teletherapy.accounts.urls")),
    path("settings/audit/", include("teletherapy.practice.audit_urls")),
    path("clients/", include("teletherapy.clients.urls")),
    path("settings/", include("teletherapy.availability.urls")),
    path("schedule/", include("teletherapy.scheduling.urls")),
    path("sessions/", include("teletherapy.video.urls")),
    path("portal/sessions/", include("teletherapy.video.portal_urls")),
    path("alerts/", include("teletherapy.alerts.urls")),
    path("portal/", include("teletherapy.reminders.portal_urls")),
    path("portal/", include("teletherapy.portal.urls")),
    path("r/", include("teletherapy.reminders.urls")),
    path("", include("teletherapy.reminders.staff_urls")),
]
