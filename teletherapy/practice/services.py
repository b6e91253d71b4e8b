"""State changes for practices and their staff. Each one writes its audit event."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from teletherapy.accounts import links
from teletherapy.accounts.models import User
from teletherapy.accounts.services import end_all_sessions
from teletherapy.audit.models import Action
from teletherapy.audit.services import client_ip, record
from teletherapy.practice.models import (
    ROLE_FIELDS,
    Practice,
    PracticeSignup,
    Role,
    StaffInvitation,
    StaffMember,
)


class StaffError(Exception):
    """A change the rules do not allow; the message is shown to the person."""


# At most this many invitation emails per person per hour, so the button cannot flood an inbox.
INVITATIONS_PER_HOUR = 5
LAST_OWNER = "A practice must always have at least one active Owner."
ONLY_OWNER_GRANTS_OWNER = "Only an Owner can make someone an Owner."
ONLY_OWNER_CHANGES_OWNER = "Only an Owner can change an Owner's roles or two-step sign-in."
OWN_TWO_STEP = "Switch your own two-step sign-in off from My account, with a code from your app."
TELE_ONLY_THERAPISTS = "Teletherapy can be switched on only for a Therapist."


def _require_manager(by: StaffMember) -> None:
    if not by.can_manage_staff or not by.user.is_active:
        raise PermissionDenied("Only an Owner or a Manager can do this.")


def _same_practice(staff: StaffMember, by: StaffMember) -> None:
    if staff.practice_id != by.practice_id:
        raise PermissionDenied("Not a member of your practice.")


def check_power_over(*, staff: StaffMember, by: StaffMember) -> None:
    """The one rule for changes to a colleague's powers (roles, two-step sign-in, account):
    an Owner's can be changed only by an Owner. Raise StaffError otherwise."""
    _require_manager(by)
    _same_practice(staff, by)
    if staff.is_owner and not by.is_owner:
        raise StaffError(ONLY_OWNER_CHANGES_OWNER)


def _lock_practice(by: StaffMember) -> StaffMember:
    """Serialize owner-changing work per practice, so two demotions cannot both pass; return
    the actor as they are now (their own roles may have changed while they waited)."""
    Practice.objects.select_for_update().filter(pk=by.practice_id).first()
    fresh = StaffMember.objects.select_related("user", "practice").get(pk=by.pk)
    _require_manager(fresh)
    return fresh


def _active_owner_count(practice_id: int) -> int:
    return StaffMember.objects.filter(
        practice_id=practice_id, is_owner=True, user__is_active=True
    ).count()


# "Create your practice" sends at most this many emails per address, and accepts at most
# this many requests per network address, per hour.
SIGNUPS_PER_EMAIL_PER_HOUR = 3
SIGNUPS_PER_IP_PER_HOUR = 10
TOO_MANY_SIGNUPS = (
    "Too many practices were requested from here or for this address in the last hour. "
    "Please try again later."
)


def request_practice(
    *,
    name: str,
    state: str,
    time_zone: str,
    owner_name: str,
    email: str,
    password: str,
    request: HttpRequest | None = None,
) -> PracticeSignup:
    """ "Create your practice": keep the request and email its confirmation link.

    Whether the address already has an account is decided in the email task (its holder gets
    a note instead of a link), so the request does the same work, and the page says the same,
    either way. Rate-limited per address and per network address (StaffError)."""
    from teletherapy.practice.tasks import send_practice_signup

    email = email.strip().lower()
    ip = client_ip(request)
    earlier = PracticeSignup.objects.filter(email=email)
    if links.sent_recently(earlier, limit=SIGNUPS_PER_EMAIL_PER_HOUR) or (
        ip
        and links.sent_recently(
            PracticeSignup.objects.filter(requested_ip=ip), limit=SIGNUPS_PER_IP_PER_HOUR
        )
    ):
        raise StaffError(TOO_MANY_SIGNUPS)
    with transaction.atomic():
        signup = links.issue(
            PracticeSignup,
            earlier=earlier,
            email=email,
            practice_name=name.strip(),
            state=state,
            time_zone=time_zone,
            owner_name=owner_name.strip(),
            password_hash=make_password(password),
            requested_ip=ip,
        )
        transaction.on_commit(lambda: send_practice_signup.enqueue(signup_id=signup.pk))
    return signup


def find_signup(token_hash: str) -> PracticeSignup:
    """The usable practice sign-up with this hash, or links.LinkError saying why not."""
    return links.find_usable(PracticeSignup.objects.all(), token_hash)


def confirm_practice(*, token_hash: str, request: HttpRequest | None = None) -> StaffMember:
    """The new Owner opened their link: create the practice and its Owner (LinkError "used"
    when the address got an account meanwhile)."""
    with transaction.atomic():
        signup = links.use(find_signup(token_hash))
        if User.objects.filter(username=signup.email).exists():
            raise links.LinkError("used", signup)
        owner = create_practice(
            name=signup.practice_name,
            state=signup.state,
            time_zone=signup.time_zone,
            owner_name=signup.owner_name,
            email=signup.email,
            password_hash=signup.password_hash,
            request=request,
        )
        # The account holds the password now; the used sign-up keeps no copy.
        PracticeSignup.objects.filter(pk=signup.pk).update(password_hash="")  # nosec B106
    return owner


def create_practice(
    *,
    name: str,
    state: str,
    time_zone: str,
    owner_name: str,
    email: str,
    password: str | None = None,
    password_hash: str | None = None,
    request: HttpRequest | None = None,
) -> StaffMember:
    """Create a practice and its first Owner, who can sign in at once (with `password`, or
    the already hashed `password_hash` of a confirmed sign-up)."""
    with transaction.atomic():
        practice = Practice.objects.create(name=name.strip(), state=state, time_zone=time_zone)
        user = User.objects.create_user(
            email,
            password,
            email=email.strip().lower(),
            full_name=owner_name.strip(),
            kind=User.Kind.STAFF,
        )
        if password_hash:
            user.password = password_hash
            user.save(update_fields=["password"])
        owner = StaffMember.objects.create(
            user=user,
            practice=practice,
            is_owner=True,
            time_zone=time_zone,
            accepted_at=timezone.now(),
        )
        record(
            Action.PRACTICE_CREATED, actor=user, practice=practice, obj=practice, request=request
        )
    return owner


def invite_staff(
    *,
    by: StaffMember,
    full_name: str,
    email: str,
    roles: Iterable[str],
    time_zone: str,
    licensed_states: Iterable[str] = (),
    request: HttpRequest | None = None,
) -> StaffMember | None:
    """Add a staff member with no password yet and email them an invitation link.

    When the address already has an account elsewhere, nothing is added and its holder is
    told by email instead; None is returned and the caller answers as for an invitation, so
    the form does not tell who has an account in another practice."""
    from teletherapy.practice.tasks import send_address_taken

    _require_manager(by)
    roles = set(roles)
    if Role.OWNER in roles and not by.is_owner:
        raise StaffError(ONLY_OWNER_GRANTS_OWNER)
    address = email.strip().lower()
    if User.objects.filter(username=address).exists():
        transaction.on_commit(
            lambda: send_address_taken.enqueue(email=address, practice_id=by.practice_id)
        )
        return None
    with transaction.atomic():
        user = User.objects.create_user(
            email,
            None,
            email=email.strip().lower(),
            full_name=full_name.strip(),
            kind=User.Kind.STAFF,
        )
        staff = StaffMember.objects.create(
            user=user,
            practice_id=by.practice_id,
            time_zone=time_zone,
            licensed_states=sorted(set(licensed_states)) if Role.THERAPIST in roles else [],
            **{ROLE_FIELDS[role]: True for role in roles},
        )
        _new_invitation(staff=staff, by=by)
        record(
            Action.STAFF_INVITED,
            actor=by.user,
            practice=by.practice,
            obj=staff,
            request=request,
            roles=sorted(roles),
        )
    return staff


def _new_invitation(*, staff: StaffMember, by: StaffMember) -> StaffInvitation:
    from teletherapy.practice.tasks import send_staff_invitation

    invitation = links.issue(
        StaffInvitation,
        earlier=StaffInvitation.objects.filter(staff=staff),
        staff=staff,
        sent_by=by.user,
    )
    StaffMember.objects.filter(pk=staff.pk).update(invited_at=invitation.created_at)
    staff.invited_at = invitation.created_at
    transaction.on_commit(lambda: send_staff_invitation.enqueue(invitation_id=invitation.pk))
    return invitation


def resend_invitation(
    *, staff: StaffMember, by: StaffMember, request: HttpRequest | None = None
) -> StaffInvitation:
    """Void any waiting invitation and email a fresh one (only before it has been accepted)."""
    _require_manager(by)
    _same_practice(staff, by)
    if staff.accepted_at is not None:
        raise StaffError("This person has already accepted their invitation.")
    if not staff.user.is_active:
        raise StaffError("Reactivate this person before sending a new invitation.")
    if links.sent_recently(StaffInvitation.objects.filter(staff=staff), limit=INVITATIONS_PER_HOUR):
        raise StaffError(
            "Several invitations were sent to this person in the last hour. "
            "Please wait a while before sending another."
        )
    with transaction.atomic():
        invitation = _new_invitation(staff=staff, by=by)
        record(
            Action.STAFF_INVITED,
            actor=by.user,
            practice=by.practice,
            obj=staff,
            request=request,
            resent=True,
        )
    return invitation


def find_invitation(token_hash: str) -> StaffInvitation:
    """The usable invitation with this hash, or links.LinkError saying why not."""
    usable = StaffInvitation.objects.select_related("staff__user", "staff__practice").filter(
        staff__user__is_active=True
    )
    return links.find_usable(usable, token_hash)


def accept_invitation(
    *, token_hash: str, password: str, request: HttpRequest | None = None
) -> User:
    """Set the invited person's password and use the invitation up."""
    with transaction.atomic():
        found = find_invitation(token_hash)
        invitation = links.use(found)
        staff = found.staff
        user = staff.user
        user.set_password(password)
        user.save(update_fields=["password"])
        staff.accepted_at = invitation.used_at
        staff.save(update_fields=["accepted_at"])
        record(
            Action.STAFF_INVITE_ACCEPTED,
            actor=user,
            practice=staff.practice,
            obj=staff,
            request=request,
        )
    return user


def set_roles(
    *,
    staff: StaffMember,
    by: StaffMember,
    roles: Iterable[str],
    request: HttpRequest | None = None,
) -> bool:
    """Give `staff` exactly `roles`. Return whether anything changed.

    Only an Owner or Manager may; only an Owner grants Owner or changes an Owner's roles; the
    last active Owner keeps the role; losing Therapist switches Teletherapy off too.
    """
    check_power_over(staff=staff, by=by)
    new = {Role(role) for role in roles}
    with transaction.atomic():
        by = _lock_practice(by)
        staff = StaffMember.objects.select_for_update().select_related("user").get(pk=staff.pk)
        old = set(staff.roles)
        if new == old:
            return False
        check_power_over(staff=staff, by=by)  # as they are now, under the lock
        if Role.OWNER in new - old and not by.is_owner:
            raise StaffError(ONLY_OWNER_GRANTS_OWNER)
        if (
            Role.OWNER in old - new
            and staff.user.is_active
            and _active_owner_count(staff.practice_id) <= 1
        ):
            raise StaffError(LAST_OWNER)
        if not new:
            raise StaffError("A staff member needs at least one role.")
        for role, field in ROLE_FIELDS.items():
            setattr(staff, field, role in new)
        tele_off = staff.teletherapy_enabled and not staff.is_therapist
        if tele_off:
            staff.teletherapy_enabled = False
        staff.save()
        record(
            Action.ROLES_CHANGED,
            actor=by.user,
            practice=by.practice,
            obj=staff,
            request=request,
            before=sorted(old),
            after=sorted(new),
        )
        if tele_off:
            record(
                Action.TELETHERAPY_DISABLED,
                actor=by.user,
                practice=by.practice,
                obj=staff,
                request=request,
                reason="Therapist role removed",
            )
    return True


BOOKED_CHOICE_NEEDED = (
    "This therapist has Teletherapy Sessions booked: choose whether to keep them as "
    "in-person appointments or cancel them."
)


def set_teletherapy(
    *,
    staff: StaffMember,
    by: StaffMember,
    enabled: bool,
    booked: str | None = None,
    request: HttpRequest | None = None,
) -> bool:
    """Switch the Teletherapy permission on or off for a Therapist. Return whether it changed.

    Switching off with Teletherapy Sessions booked: `booked` says what becomes of them,
    teletherapy_off.KEEP (in-person appointments, the clients sent an updated invitation) or
    CANCEL (cancelled, the clients emailed). Practice Settings always asks (the view refuses
    to go on without an answer); None leaves them booked, no longer joinable
    (Appointment.is_teletherapy_session), for callers with no one to ask."""
    from teletherapy.practice import teletherapy_off

    _require_manager(by)
    _same_practice(staff, by)
    with transaction.atomic():
        staff = StaffMember.objects.select_for_update().select_related("user").get(pk=staff.pk)
        if staff.teletherapy_enabled == enabled:
            return False
        if enabled and not staff.is_therapist:
            raise StaffError(TELE_ONLY_THERAPISTS)
        if not enabled and booked is not None:
            if booked not in (teletherapy_off.KEEP, teletherapy_off.CANCEL):
                raise StaffError(BOOKED_CHOICE_NEEDED)
            teletherapy_off.resolve(therapist=staff, by=by, choice=booked, request=request)
        staff.teletherapy_enabled = enabled
        staff.save(update_fields=["teletherapy_enabled"])
        record(
            Action.TELETHERAPY_ENABLED if enabled else Action.TELETHERAPY_DISABLED,
            actor=by.user,
            practice=by.practice,
            obj=staff,
            request=request,
        )
    return True


def update_therapist_details(
    *,
    staff: StaffMember,
    by: StaffMember,
    licensed_states: Iterable[str],
    time_zone: str,
    request: HttpRequest | None = None,
) -> bool:
    """Change a staff member's licensed states and time zone. Return whether anything changed."""
    _require_manager(by)
    _same_practice(staff, by)
    states = sorted(set(licensed_states))
    with transaction.atomic():
        staff = StaffMember.objects.select_for_update().get(pk=staff.pk)
        before = {"licensed_states": staff.licensed_states, "time_zone": staff.time_zone}
        after = {"licensed_states": states, "time_zone": time_zone}
        if before == after:
            return False
        staff.licensed_states = states
        staff.time_zone = time_zone
        staff.save(update_fields=["licensed_states", "time_zone"])
        record(
            Action.STAFF_UPDATED,
            actor=by.user,
            practice=by.practice,
            obj=staff,
            request=request,
            before=before,
            after=after,
        )
    return True


def deactivate_staff(
    *, staff: StaffMember, by: StaffMember, request: HttpRequest | None = None
) -> None:
    """Stop a person from signing in and end every session they have open, at once."""
    if staff.pk == by.pk:
        raise StaffError("You cannot deactivate yourself.")
    check_power_over(staff=staff, by=by)
    with transaction.atomic():
        by = _lock_practice(by)
        user = User.objects.select_for_update().get(pk=staff.user_id)
        if not user.is_active:
            return
        if staff.is_owner and _active_owner_count(staff.practice_id) <= 1:
            raise StaffError(LAST_OWNER)
        user.is_active = False
        user.save(update_fields=["is_active"])
        links.void(StaffInvitation.objects.filter(staff=staff))
        end_all_sessions(user=user)
        record(
            Action.STAFF_DEACTIVATED,
            actor=by.user,
            practice=by.practice,
            obj=staff,
            request=request,
        )
    staff.user.is_active = False


def reactivate_staff(
    *, staff: StaffMember, by: StaffMember, request: HttpRequest | None = None
) -> None:
    """Let a deactivated person sign in again."""
    check_power_over(staff=staff, by=by)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=staff.user_id)
        if user.is_active:
            return
        user.is_active = True
        user.save(update_fields=["is_active"])
        record(
            Action.STAFF_REACTIVATED,
            actor=by.user,
            practice=by.practice,
            obj=staff,
            request=request,
        )
    staff.user.is_active = True


def update_practice(
    *,
    practice: Practice,
    by: StaffMember,
    name: str,
    state: str,
    time_zone: str,
    request: HttpRequest | None = None,
) -> bool:
    """Change the practice's name, state and time zone."""
    _require_manager(by)
    if practice.pk != by.practice_id:
        raise PermissionDenied("Not your practice.")
    return _change_practice(
        practice=practice,
        by=by,
        changes={"name": name.strip(), "state": state, "time_zone": time_zone},
        action=Action.STAFF_UPDATED,
        request=request,
    )


def switch_off_two_step(
    *, staff: StaffMember, by: StaffMember, request: HttpRequest | None = None
) -> bool:
    """Remove a colleague's two-step sign-in (a lost phone). Return whether there was one.

    Never one's own (that needs a current code, at My account), and an Owner's only by an Owner.
    """
    from teletherapy.accounts import mfa

    if staff.pk == by.pk:
        raise StaffError(OWN_TWO_STEP)
    check_power_over(staff=staff, by=by)
    with transaction.atomic():
        if not mfa.remove_all_devices(user=staff.user):
            return False
        record(
            Action.STAFF_UPDATED,
            actor=by.user,
            practice=by.practice,
            obj=staff,
            request=request,
            two_step="off",
        )
    return True


def update_security_settings(
    *,
    practice: Practice,
    by: StaffMember,
    require_two_step: bool,
    idle_minutes: int | None,
    request: HttpRequest | None = None,
) -> bool:
    """Require two-step sign-in for all staff, and shorten the idle limit. Owners only."""
    _require_manager(by)
    if not by.is_owner:
        raise PermissionDenied("Only an Owner can change the practice's security settings.")
    if practice.pk != by.practice_id:
        raise PermissionDenied("Not your practice.")
    return _change_practice(
        practice=practice,
        by=by,
        changes={"require_two_step": require_two_step, "idle_minutes": idle_minutes},
        action=Action.SECURITY_SETTINGS_CHANGED,
        request=request,
    )


def update_call_privacy(
    *,
    practice: Practice,
    by: StaffMember,
    hide_network_addresses: bool,
    request: HttpRequest | None = None,
) -> bool:
    """Make every call of the practice relay through its TURN server (or not). Owners and
    Managers. Return whether anything changed; a change is audited."""
    _require_manager(by)
    if practice.pk != by.practice_id:
        raise PermissionDenied("Not your practice.")
    return _change_practice(
        practice=practice,
        by=by,
        changes={"hide_network_addresses": hide_network_addresses},
        action=Action.SECURITY_SETTINGS_CHANGED,
        request=request,
    )


def _change_practice(
    *,
    practice: Practice,
    by: StaffMember,
    changes: dict[str, Any],
    action: Action,
    request: HttpRequest | None,
) -> bool:
    """Set these fields of the practice (its row locked), audited with before and after.
    Return whether anything changed."""
    with transaction.atomic():
        locked = Practice.objects.select_for_update().get(pk=practice.pk)
        before = {name: getattr(locked, name) for name in changes}
        if before == changes:
            return False
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(changes))
        record(
            action,
            actor=by.user,
            practice=locked,
            obj=locked,
            request=request,
            before=before,
            after=changes,
        )
    return True


def end_staff_sessions(
    *, staff: StaffMember, by: StaffMember, request: HttpRequest | None = None
) -> int:
    """Sign a colleague out everywhere (a lost laptop, a shared computer); return how many
    sessions ended. An Owner's only by an Owner."""
    from teletherapy.accounts.services import end_other_sessions

    if staff.pk == by.pk:
        raise StaffError("Use My account to sign out of your own other sessions.")
    check_power_over(staff=staff, by=by)
    return end_other_sessions(user=staff.user, keep=None, by=by.user, request=request)
