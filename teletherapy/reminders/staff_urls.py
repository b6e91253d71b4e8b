from django.urls import path

from teletherapy.reminders import views

app_name = "reminders_staff"
urlpatterns = [
    path("settings/reminders/", views.reminder_settings, name="settings"),
    path("clients/<int:client_id>/texts/", views.client_texts, name="client_texts"),
]
