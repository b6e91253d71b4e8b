from django.urls import path

from teletherapy.video import views

app_name = "video"
urlpatterns = [
    path("ready/", views.ready, name="ready"),
    path("<int:appointment_id>/", views.check, name="check"),
    path("<int:appointment_id>/room/", views.room, name="room"),
    path("<int:appointment_id>/ice/", views.ice, name="ice"),
    path("<int:appointment_id>/end/", views.end, name="end"),
]
