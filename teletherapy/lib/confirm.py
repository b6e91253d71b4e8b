"""Ask before a destructive action. With JavaScript, static/js/confirm.js asks in a <dialog>
and sends confirmed=yes with the form; without it, the view answers this page, which asks the
same question and posts the same fields again with confirmed=yes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

FIELD = "confirmed"


@dataclass(frozen=True)
class Question:
    """What the dialog and the fallback page say: the question, what follows from yes, and
    the label of the button that does it. Optionally a list of what it concerns (`items`,
    under `items_label`) and a choice to make with it (`choices` of (value, label), sent as
    `choice_field`; the first is chosen unless the person picks another)."""

    title: str
    consequence: str
    button: str
    items: tuple[str, ...] = ()
    items_label: str = ""
    choice_field: str = ""
    choice_legend: str = ""
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def items_json(self) -> str:
        return json.dumps(list(self.items))

    @property
    def choices_json(self) -> str:
        return json.dumps([list(choice) for choice in self.choices])


def is_confirmed(request: HttpRequest) -> bool:
    return request.POST.get(FIELD) == "yes"


def confirmation_page(
    request: HttpRequest,
    question: Question,
    *,
    back_url: str,
    nav_active: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The no-JavaScript page that asks `question`; its form repeats this request's fields
    (all but the question's own choice, which it asks again)."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", FIELD, question.choice_field)
        for value in values
    ]
    chosen = request.POST.get(question.choice_field) if question.choice_field else None
    if question.choices and chosen not in {value for value, _label in question.choices}:
        chosen = question.choices[0][0]
    return render(
        request,
        "confirm/confirm.html",
        {
            "question": question,
            "fields": fields,
            "action": request.path,
            "back_url": back_url,
            "nav_active": nav_active,
            "error": error,
            "chosen": chosen,
        },
        status=status,
    )
