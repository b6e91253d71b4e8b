from django.urls import path

from teletherapy.video.consumers import CallConsumer

websocket_urlpatterns: list = [
    path("ws/sessions/<int:appointment_id>/", CallConsumer.as_asgi()),
]
