from django.urls import path

from teletherapy.portal import views

app_name = "portal"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("", views.dashboard, name="dashboard"),
]
