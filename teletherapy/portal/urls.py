from django.urls import path

from teletherapy.accounts import account_views
from teletherapy.portal import views

app_name = "portal"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("forgot-password/", views.forgot_password, name="forgot_password"),
    path("invite/<str:token>/", views.invite_link, name="invite_link"),
    path("invite/", views.invite, name="invite"),
    path("reset/<str:token>/", views.reset_link, name="reset_link"),
    path("reset/", views.reset, name="reset"),
    path("details/", views.details, name="details"),
    path("password/", views.change_password, name="password"),
    path("sign-out-others/", account_views.sign_out_others, name="sign_out_others"),
    path("confirm/", account_views.confirm, name="confirm"),
    path("", views.dashboard, name="dashboard"),
]
