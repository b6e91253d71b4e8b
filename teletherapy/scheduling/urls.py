from django.urls import path

from teletherapy.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("", views.my_schedule, name="my_schedule"),
    path("new/", views.new_appointment, name="new_appointment"),
    path("day/", views.team_day, name="team_day"),
    path("appointments/<int:appointment_id>/", views.appointment_detail, name="appointment"),
    path(
        "appointments/<int:appointment_id>/edit/", views.appointment_edit, name="appointment_edit"
    ),
    path(
        "appointments/<int:appointment_id>/history/",
        views.appointment_history,
        name="appointment_history",
    ),
    path(
        "appointments/<int:appointment_id>/cancel/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        "appointments/<int:appointment_id>/move/",
        views.appointment_move,
        name="appointment_move",
    ),
    path(
        "appointments/<int:appointment_id>/no-show/",
        views.appointment_no_show,
        name="appointment_no_show",
    ),
]
