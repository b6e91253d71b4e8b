from django.urls import path

from teletherapy.practice import views

app_name = "practice"
urlpatterns = [
    path("", views.home, name="home"),
    path("create-practice/", views.create_practice, name="create"),
    path("create-practice/confirm/<str:token>/", views.create_link, name="create_link"),
    path("create-practice/confirm/", views.create_confirm, name="create_confirm"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("settings/", views.settings_home, name="settings"),
    path("settings/practice/", views.practice_details, name="details"),
    path("settings/security/", views.security, name="security"),
    path("settings/calls/", views.calls, name="calls"),
    path("settings/staff/add/", views.staff_add, name="staff_add"),
    path("settings/staff/<int:staff_id>/", views.staff_profile, name="staff_profile"),
    path("settings/staff/<int:staff_id>/roles/", views.staff_roles, name="staff_roles"),
    path(
        "settings/staff/<int:staff_id>/teletherapy/",
        views.staff_teletherapy,
        name="staff_teletherapy",
    ),
    path("settings/staff/<int:staff_id>/details/", views.staff_details, name="staff_details"),
    path(
        "settings/staff/<int:staff_id>/deactivate/",
        views.staff_deactivate,
        name="staff_deactivate",
    ),
    path(
        "settings/staff/<int:staff_id>/reactivate/",
        views.staff_reactivate,
        name="staff_reactivate",
    ),
    path(
        "settings/staff/<int:staff_id>/resend-invitation/",
        views.staff_resend,
        name="staff_resend",
    ),
    path(
        "settings/staff/<int:staff_id>/two-step-off/",
        views.staff_two_step_off,
        name="staff_two_step_off",
    ),
    path(
        "settings/staff/<int:staff_id>/end-sessions/",
        views.staff_end_sessions,
        name="staff_end_sessions",
    ),
    path("invitation/<str:token>/", views.invitation_link, name="invitation_link"),
    path("invitation/", views.accept_invitation, name="accept_invitation"),
]
