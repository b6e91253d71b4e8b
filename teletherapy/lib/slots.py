"""Places on a lower app's page that a higher app fills in.

A lower app never includes a higher app's templates (tests/test_dependencies.py checks). Its
page names a slot instead, `{% load slots %}{% slot "practice.dashboard" %}`, and the higher
app fills it from its AppConfig.ready():

    slots.fill("practice.dashboard", "scheduling/_dashboard_upcoming.html", context=upcoming)

The slot renders each registered template with the page's context (plus what `context`
returns for it), in registration order. A slot nobody filled renders nothing.

Slots in use: practice.dashboard.alerts, practice.dashboard, scheduling.appointment.alerts,
scheduling.appointment.details, scheduling.appointment.history, portal.dashboard.alerts,
video.room.waiting, page.end (the end of every page's body, base.html), practice.staff_profile,
practice.settings_tabs, clients.client.appointments, clients.detail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import template
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe

ContextFunction = Callable[[Context], Mapping[str, Any]]


@dataclass(frozen=True)
class Filler:
    template_name: str
    context: ContextFunction | None = None


_FILLERS: dict[str, list[Filler]] = {}


def fill(slot: str, template_name: str, *, context: ContextFunction | None = None) -> None:
    """Show `template_name` in `slot` from now on (once, however often this is called)."""
    fillers = _FILLERS.setdefault(slot, [])
    if all(f.template_name != template_name for f in fillers):
        fillers.append(Filler(template_name, context))


def fillers(slot: str) -> tuple[Filler, ...]:
    return tuple(_FILLERS.get(slot, ()))


register = template.Library()


@register.simple_tag(takes_context=True)
def slot(context: Context, name: str) -> SafeString:
    """Render what the higher apps registered for slot `name`, with this page's context."""
    assert context.template is not None
    parts = []
    for filler in fillers(name):
        included = context.template.engine.get_template(filler.template_name)
        extra = dict(filler.context(context)) if filler.context is not None else {}
        with context.push(**extra):
            parts.append(included.render(context))
    # Each part is an autoescaped template.
    return mark_safe("".join(parts))  # nosec # nosemgrep
