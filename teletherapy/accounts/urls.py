from django.urls import path

from teletherapy.accounts import account_views, views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("forgot-password/", views.forgot_password, name="forgot_password"),
    path("reset/<str:token>/", views.reset_link, name="reset_link"),
    path("reset/", views.reset_password, name="reset_password"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("two-step/", account_views.two_step, name="two_step"),
    path("my-account/", account_views.my_account, name="my_account"),
    path("my-account/password/", account_views.change_password, name="change_password"),
    path("my-account/sign-out-others/", account_views.sign_out_others, name="sign_out_others"),
    path("confirm/", account_views.confirm, name="confirm"),
]
