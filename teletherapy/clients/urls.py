from django.urls import path

from teletherapy.clients import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
]
