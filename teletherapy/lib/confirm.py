"""Ask before a destructive action. With JavaScript, static/js/confirm.js asks in a <dialog>
and sends confirmed=yes with the form; without it, the view answers this page, which asks the
same question and posts the same fields again with confirmed=yes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

FIELD = "confirmed"


@dataclass(frozen=True)
class Question:
    """What the dialog and the fallback page say: the question, what follows from yes, and
    the label of the button that does it."""

    title: str
    consequence: str
    button: str


def is_confirmed(request: HttpRequest) -> bool:
    return request.POST.get(FIELD) == "yes"


def confirmation_page(
    request: HttpRequest, question: Question, *, back_url: str, nav_active: str = ""
) -> HttpResponse:
    """The no-JavaScript page that asks `question`; its form repeats this request's fields."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", FIELD)
        for value in values
    ]
    return render(
        request,
        "confirm/confirm.html",
        {
            "question": question,
            "fields": fields,
            "action": request.path,
            "back_url": back_url,
            "nav_active": nav_active,
        },
    )
