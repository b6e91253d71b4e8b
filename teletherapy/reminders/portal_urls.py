from django.urls import path

from teletherapy.reminders import views

app_name = "reminders_portal"
urlpatterns = [
    path("device-check/", views.device_check, name="device_check"),
]
