"""How a guardian appears beside a minor's appointment: on their own portal ("Mina Minor's
session with Tess Therapist") and on the therapist's pages ("Gail Guardian (guardian of Mina
Minor)"). Who may attend is Appointment.attendees()/may_attend(); this only names them."""

from __future__ import annotations

from collections.abc import Iterable

from teletherapy.clients.models import Client
from teletherapy.scheduling.models import Appointment, clients_label


def wards_in(appointments: Iterable[Appointment], client: Client) -> dict[int, Client]:
    """For each appointment `client` is not in themself, the minor of whom they are a guardian
    that it is for (appointment pk -> the minor), in two queries whatever the number."""
    # Their own (as the primary client) need no look-up: the usual Dashboard costs nothing more.
    appointments = [a for a in appointments if a.client_id != client.pk]
    if not appointments:
        return {}
    wards = {ward.pk: ward for ward in client.wards.filter(is_minor=True, is_active=True)}
    if not wards or not appointments:
        return {}
    through = Appointment.additional_clients.through.objects
    extra: dict[int, set[int]] = {}
    for appointment_id, client_id in through.filter(
        appointment_id__in=[a.pk for a in appointments]
    ).values_list("appointment_id", "client_id"):
        extra.setdefault(appointment_id, set()).add(client_id)
    found: dict[int, Client] = {}
    for appointment in appointments:
        people = {appointment.client_id, *extra.get(appointment.pk, set())}
        if client.pk in people:
            continue
        ward = next((wards[pk] for pk in sorted(people) if pk in wards), None)
        if ward is not None:
            found[appointment.pk] = ward
    return found


def ward_of(appointment: Appointment, client: Client) -> Client | None:
    """The minor `client` attends `appointment` for as a guardian; None when they are in it."""
    return wards_in([appointment], client).get(appointment.pk)


def attendee_label(appointment: Appointment, client: Client) -> str:
    """A portal person as the therapist sees them in this appointment: their name, and
    '(guardian of <minor>)' when they come as a minor's guardian."""
    for minor in appointment.all_clients():
        if minor.pk == client.pk:
            return client.full_name
    for minor in appointment.all_clients():
        if minor.is_minor and minor.guardians.filter(pk=client.pk).exists():
            return f"{client.full_name} (guardian of {minor.full_name})"
    return client.full_name


def guardian_labels(appointment: Appointment) -> list[str]:
    """The guardians who may join this appointment (Appointment.attendees), each as
    'Gail Guardian (guardian of Mina Minor)', for the therapist's pages."""
    clients = appointment.all_clients()
    own = {client.pk for client in clients}
    labels = []
    for minor in clients:
        if not minor.is_minor or not minor.is_active:
            continue
        for guardian in minor.guardians.filter(is_active=True, practice_id=appointment.practice_id):
            if guardian.pk not in own:
                labels.append(f"{guardian.full_name} (guardian of {minor.full_name})")
    return labels


def wards_label(clients: list[Client], person: Client) -> str:
    """The minor(s) among an appointment's `clients` that `person` is told of as their
    guardian ("Mina Minor"), for that guardian's own emails and reminders; "" when they are
    one of the clients themself. Never another client's name."""
    if any(c.pk == person.pk for c in clients):
        return ""
    return clients_label(
        [c for c in clients if c.is_minor and c.guardians.filter(pk=person.pk).exists()]
    )
