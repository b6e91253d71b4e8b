from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from teletherapy.practice.access import staff_view


@require_GET
@staff_view(lambda staff: staff.can_use_clients)
def client_list(request: HttpRequest) -> HttpResponse:
    return render(request, "clients/list.html", {"nav_active": "clients"})
