from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from teletherapy.audit import services
from teletherapy.audit.export import write_csv
from teletherapy.audit.models import AuditEvent
from teletherapy.lib import clock
from teletherapy.practice.access import StaffRequest, staff_view
from teletherapy.practice.audit_forms import AuditFilterForm

PAGE_SIZE = 50


def _filtered(request: StaffRequest) -> tuple[AuditFilterForm, QuerySet[AuditEvent]]:
    """The filter form and the practice's events it selects (none while it has errors)."""
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
    return form, events


def _page(
    request: StaffRequest,
    form: AuditFilterForm,
    events: QuerySet[AuditEvent],
    status: int = 200,
) -> HttpResponse:
    viewer = request.staff
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
            "zone": clock.zone(clock.viewer_zone(viewer)).key,
            "can_export": viewer.can_export_audit,
        },
        status=status,
    )


@require_GET
@staff_view(lambda staff: staff.can_read_audit)
def audit_log(request: StaffRequest) -> HttpResponse:
    """The practice's audit log, newest first: read-only, filtered, paginated."""
    form, events = _filtered(request)
    return _page(request, form, events)


@require_GET
@staff_view(lambda staff: staff.can_export_audit)
def audit_export(request: StaffRequest) -> HttpResponse:
    """The filtered log (usually a date range) as a CSV file, oldest first. Owners only."""
    form, events = _filtered(request)
    if form.is_bound and not form.is_valid():
        return _page(request, form, events, status=400)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    count = write_csv(response, events.order_by("at", "id"))
    services.record_export(
        by=request.staff.user,
        practice=request.staff.practice,
        rows=count,
        request=request,
        filters=request.GET.dict(),
    )
    return response
