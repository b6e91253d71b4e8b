from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from teletherapy.practice.access import staff_view


@require_GET
@staff_view(lambda staff: staff.can_use_schedule)
def my_schedule(request: HttpRequest) -> HttpResponse:
    return render(request, "scheduling/my_schedule.html", {"nav_active": "schedule"})
