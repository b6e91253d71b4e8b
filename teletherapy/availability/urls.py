from django.urls import path

from teletherapy.availability import views

app_name = "availability"
urlpatterns = [
    path("staff/<int:staff_id>/hours/", views.working_hours, name="working_hours"),
    path("closures/", views.closures, name="closures"),
    path("closures/<int:closure_id>/remove/", views.closure_remove, name="closure_remove"),
]
