"""The client's side of a session, under /portal/sessions/ (the portal area)."""

from django.urls import path

from teletherapy.video import views

app_name = "portal_video"
urlpatterns = [
    path("ready/", views.portal_ready, name="ready"),
    path("<int:appointment_id>/", views.portal_check, name="check"),
    path("<int:appointment_id>/room/", views.portal_room, name="room"),
    path("<int:appointment_id>/ice/", views.portal_ice, name="ice"),
]
