"""My Clients: the list, a client's profile with its Client Portal Login section, add/edit."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.clients import services
from teletherapy.clients.access import can_manage_clients, get_client_for
from teletherapy.clients.forms import ClientForm
from teletherapy.clients.models import Client, PortalInvitation
from teletherapy.lib import clock, confirm
from teletherapy.lib.redirects import safe_next
from teletherapy.practice.access import StaffRequest, staff_view
from teletherapy.practice.models import StaffMember

LIST_LIMIT = 200
# The form's many-to-many choices: saved by the services, not as fields.
_RELATIONS = ("therapists", "guardians")


def deactivate_question(client: Client) -> confirm.Question:
    return confirm.Question(
        title=f"Deactivate {client.full_name}?",
        consequence=(
            f"{client.full_name} moves to the inactive clients"
            + (" and can no longer sign in to the Client Portal" if client.user_id else "")
            + "; links emailed to them stop working. Their record stays, and you can "
            "reactivate them later."
        ),
        button="Deactivate",
    )


_STATUS_FILTERS = {"active": True, "inactive": False, "all": None}


@require_GET
@staff_view(lambda staff: staff.can_use_clients)
def client_list(request: StaffRequest) -> HttpResponse:
    staff = request.staff
    q = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "active")
    if status not in _STATUS_FILTERS:
        status = "active"
    clients = Client.objects.visible_to(staff).prefetch_related("therapists__user")
    active = _STATUS_FILTERS[status]
    if active is not None:
        clients = clients.filter(is_active=active)
    for word in q.split():
        clients = clients.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(preferred_name__icontains=word)
            | Q(email__icontains=word)
        )
    rows = list(clients[: LIST_LIMIT + 1])
    return render(
        request,
        "clients/list.html",
        {
            "nav_active": "clients",
            "clients": rows[:LIST_LIMIT],
            "truncated": len(rows) > LIST_LIMIT,
            "q": q,
            "status": status,
            "can_add": can_manage_clients(staff),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_view(can_manage_clients)
def client_add(request: StaffRequest) -> HttpResponse:
    staff = request.staff
    form = ClientForm(request.POST or None, staff=staff)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k not in _RELATIONS}
        try:
            client = services.create_client(
                by=staff,
                fields=fields,
                therapists=form.cleaned_data.get("therapists"),
                guardians=form.cleaned_data.get("guardians"),
                request=request,
            )
        except services.GuardianError as exc:
            # Someone changed a chosen guardian meanwhile (marked them as a minor).
            form.add_error("guardians", str(exc))
        else:
            messages.success(request, f"{client.full_name} was added.")
            return redirect("clients:detail", client_id=client.pk)
    return render(
        request, "clients/form.html", {"nav_active": "clients", "form": form, "client": None}
    )


@require_GET
@staff_view(lambda staff: staff.can_use_clients)
def client_detail(request: StaffRequest, client_id: int) -> HttpResponse:
    staff = request.staff
    client = get_client_for(staff, client_id)
    services.record_client_viewed(client=client, by=staff, request=request)
    links = list(client.portal_links.select_related("sent_by")[:6])
    invite = next((link for link in links if link.kind == PortalInvitation.Kind.INVITE), None)
    reset = next((link for link in links if link.kind == PortalInvitation.Kind.RESET), None)
    return render(
        request,
        "clients/detail.html",
        {
            "nav_active": "clients",
            "client": client,
            "links": links,
            "invite": invite,
            "reset": reset,
            "viewer_zone": clock.viewer_zone(staff),
            "can_manage": can_manage_clients(staff),
            "deactivate_question": deactivate_question(client),
            **family_context(client, staff),
        },
    )


def family_context(client: Client, staff: StaffMember) -> dict[str, object]:
    """A minor's guardians and a guardian's wards (those `staff` may see), and the guardian
    changes of this record for its History (newest first)."""
    visible = Client.objects.visible_to(staff)
    history = AuditEvent.objects.filter(
        object_type="client",
        object_id=str(client.pk),
        action__in=[Action.GUARDIAN_ADDED, Action.GUARDIAN_REMOVED],
    ).select_related("actor")
    return {
        "guardians": list(visible.filter(wards=client).select_related("user"))
        if client.is_minor
        else [],
        "wards": list(visible.filter(guardians=client, is_minor=True)),
        "guardian_history": list(history.order_by("-at", "-id")[:20]),
    }


@require_http_methods(["GET", "POST"])
@staff_view(can_manage_clients)
def client_edit(request: StaffRequest, client_id: int) -> HttpResponse:
    staff = request.staff
    client = get_client_for(staff, client_id)
    form = ClientForm(request.POST or None, instance=client, staff=staff)
    if request.method == "POST":
        # Compare against the saved record, not the form's in-place edits of the instance.
        saved = get_client_for(staff, client_id)
        if form.is_valid():
            fields = {k: v for k, v in form.cleaned_data.items() if k not in _RELATIONS}
            try:
                services.update_client(
                    client=saved,
                    by=staff,
                    fields=fields,
                    therapists=form.cleaned_data.get("therapists")
                    if "therapists" in form.fields
                    else None,
                    guardians=form.cleaned_data.get("guardians"),
                    request=request,
                )
            except services.GuardianError as exc:
                # Someone changed the record meanwhile (a guardian marked as a minor).
                form.add_error("guardians", str(exc))
            else:
                messages.success(request, "The client's details were saved.")
                return redirect("clients:detail", client_id=saved.pk)
        client = saved
    return render(
        request, "clients/form.html", {"nav_active": "clients", "form": form, "client": client}
    )


@require_POST
@staff_view(can_manage_clients)
def client_deactivate(request: StaffRequest, client_id: int) -> HttpResponse:
    staff = request.staff
    client = get_client_for(staff, client_id)
    if not confirm.is_confirmed(request):
        return confirm.confirmation_page(
            request,
            deactivate_question(client),
            back_url=reverse("clients:detail", kwargs={"client_id": client.pk}),
            nav_active="clients",
        )
    services.set_client_active(client=client, by=staff, active=False, request=request)
    messages.success(request, f"{client.full_name} is now inactive.")
    return redirect("clients:detail", client_id=client.pk)


@require_POST
@staff_view(can_manage_clients)
def client_reactivate(request: StaffRequest, client_id: int) -> HttpResponse:
    staff = request.staff
    client = get_client_for(staff, client_id)
    services.set_client_active(client=client, by=staff, active=True, request=request)
    messages.success(request, f"{client.full_name} is active again.")
    return redirect("clients:detail", client_id=client.pk)


def _back(request: HttpRequest, client: Client) -> HttpResponse:
    nxt = safe_next(request, portal=False)
    if nxt:
        return redirect(nxt)
    return redirect(reverse("clients:detail", kwargs={"client_id": client.pk}) + "#portal-login")


@require_POST
@staff_view(can_manage_clients)
def send_portal_invite(request: StaffRequest, client_id: int) -> HttpResponse:
    staff = request.staff
    client = get_client_for(staff, client_id)
    try:
        services.send_portal_invite(client=client, by=staff, request=request)
    except services.PortalLinkError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Invite sent to {client.email}. The link works for 24 hours.")
    return _back(request, client)


@require_POST
@staff_view(can_manage_clients)
def send_portal_reset(request: StaffRequest, client_id: int) -> HttpResponse:
    staff = request.staff
    client = get_client_for(staff, client_id)
    try:
        services.send_portal_reset(client=client, by=staff, request=request)
    except services.PortalLinkError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Password reset link sent to {client.email}.")
    return _back(request, client)
