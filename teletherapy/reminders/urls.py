"""The reminders' public links and Twilio's webhooks, under /r/."""

from django.urls import path

from teletherapy.reminders import views

app_name = "reminders"
urlpatterns = [
    path("confirm/<str:token>/", views.confirm_link, name="confirm_link"),
    path("confirm/", views.confirm, name="confirm"),
    path("cancel/<str:token>/", views.cancel_link, name="cancel_link"),
    path("cancel/", views.cancel, name="cancel"),
    path("join/<str:token>/", views.join_link, name="join_link"),
    path("join/", views.join, name="join"),
    path("twilio/inbound/", views.twilio_inbound, name="twilio_inbound"),
    path("twilio/status/", views.twilio_status, name="twilio_status"),
]
