from django.urls import path

from teletherapy.alerts.consumers import AlertConsumer

websocket_urlpatterns: list = [
    path("ws/alerts/", AlertConsumer.as_asgi()),
]
