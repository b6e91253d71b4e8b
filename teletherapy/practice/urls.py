from django.urls import path

from teletherapy.practice import views

app_name = "practice"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("settings/", views.settings_home, name="settings"),
]
