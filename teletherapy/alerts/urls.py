from django.urls import path

from teletherapy.alerts import views

app_name = "alerts"
urlpatterns = [
    path("appointments/<int:appointment_id>/word/", views.word, name="word"),
    path("chime/", views.chime, name="chime"),
]
