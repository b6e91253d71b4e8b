from django.urls import path

from teletherapy.accounts import views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("forgot-password/", views.forgot_password, name="forgot_password"),
    path("reset/<str:token>/", views.reset_link, name="reset_link"),
    path("reset/", views.reset_password, name="reset_password"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("two-step/", views.two_step, name="two_step"),
]
