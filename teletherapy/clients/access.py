"""Who may see which client. Views, consumers and tasks fetch clients only through here."""

from __future__ import annotations

from django.http import Http404

from teletherapy.clients.models import Client
from teletherapy.practice.models import StaffMember


def get_client_for(staff: StaffMember, client_id: int) -> Client:
    """The client `client_id` if `staff` may see it (same practice, and assigned to them when
    they are only a Therapist); otherwise 404, so "not yours" looks like "does not exist"."""
    try:
        return (
            Client.objects.visible_to(staff)
            .select_related("practice", "user")
            .prefetch_related("therapists__user")
            .get(pk=client_id)
        )
    except Client.DoesNotExist:
        raise Http404("No such client") from None


def can_manage_clients(staff: StaffMember) -> bool:
    """Add, edit and deactivate: Owner, Manager, Scheduler, and Therapists for their own."""
    return staff.can_use_clients
