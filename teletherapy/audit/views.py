from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from teletherapy.audit.forms import AuditFilterForm
from teletherapy.audit.models import AuditEvent
from teletherapy.practice.access import StaffRequest, staff_view

PAGE_SIZE = 50


@require_GET
@staff_view(lambda staff: staff.can_read_audit)
def audit_log(request: StaffRequest) -> HttpResponse:
    """The practice's audit log, newest first: read-only, filtered, paginated."""
    viewer = request.staff
    zone = ZoneInfo(viewer.time_zone or viewer.practice.time_zone or "UTC")
    form = AuditFilterForm(request.GET or None, viewer=viewer)
    events = AuditEvent.objects.filter(practice_id=viewer.practice_id).select_related("actor")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data.get("person"):
            events = events.filter(actor_id=data["person"])
        if data.get("action"):
            events = events.filter(action=data["action"])
        if data.get("date_from"):
            events = events.filter(at__gte=datetime.combine(data["date_from"], time(), zone))
        if data.get("date_to"):
            end = datetime.combine(data["date_to"], time(), zone) + timedelta(days=1)
            events = events.filter(at__lt=end)
    elif form.is_bound:
        events = events.none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {
            "nav_active": "settings",
            "tab": "audit",
            "staff": viewer,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "zone": viewer.time_zone or viewer.practice.time_zone,
        },
    )
