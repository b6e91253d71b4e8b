from django.urls import path

from teletherapy.clients import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("add/", views.client_add, name="add"),
    path("<int:client_id>/", views.client_detail, name="detail"),
    path("<int:client_id>/edit/", views.client_edit, name="edit"),
    path("<int:client_id>/deactivate/", views.client_deactivate, name="deactivate"),
    path("<int:client_id>/reactivate/", views.client_reactivate, name="reactivate"),
    path("<int:client_id>/portal/invite/", views.send_portal_invite, name="send_portal_invite"),
    path("<int:client_id>/portal/reset/", views.send_portal_reset, name="send_portal_reset"),
]
