from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from teletherapy.audit.models import AuditEvent
from teletherapy.lib import clock
from teletherapy.practice.access import StaffRequest, staff_view
from teletherapy.practice.audit_forms import AuditFilterForm

PAGE_SIZE = 50


@require_GET
@staff_view(lambda staff: staff.can_read_audit)
def audit_log(request: StaffRequest) -> HttpResponse:
    """The practice's audit log, newest first: read-only, filtered, paginated."""
    viewer = request.staff
    zone = clock.zone(clock.viewer_zone(viewer))
    form = AuditFilterForm(request.GET or None, viewer=viewer)
    events = AuditEvent.objects.visible_to(viewer).select_related("actor")
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
        "practice/audit_log.html",
        {
            "nav_active": "settings",
            "tab": "audit",
            "staff": viewer,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "zone": zone.key,
        },
    )
