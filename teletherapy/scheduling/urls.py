from django.urls import path

from teletherapy.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("", views.my_schedule, name="my_schedule"),
]
