from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from teletherapy.practice.access import staff_view


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:dashboard" if request.user.is_client else "practice:dashboard")  # type: ignore[union-attr]
    return render(request, "practice/home.html")


@require_GET
@staff_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "practice/dashboard.html", {"nav_active": "dashboard"})


@require_GET
@staff_view()
def settings_home(request: HttpRequest) -> HttpResponse:
    return render(request, "practice/settings.html", {"nav_active": "settings"})
