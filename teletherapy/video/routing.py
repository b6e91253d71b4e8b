from django.urls import path

from teletherapy.video.consumers import CallConsumer
from teletherapy.video.mesh import MeshConsumer

websocket_urlpatterns: list = [
    path("ws/sessions/<int:appointment_id>/", CallConsumer.as_asgi()),
    path("ws/sessions/<int:appointment_id>/mesh/", MeshConsumer.as_asgi()),
]
