from __future__ import annotations

from django import template
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms import BaseFormSet
from django.utils.html import format_html
from django.utils.translation import gettext

from reports import places, sms

register = template.Library()


@register.inclusion_tag("reports/resident/_steps.html", takes_context=True)
def filing_steps(context) -> dict:
    """The step indicator of a filing page, from the view's `steps` context (views/filing_flow.py)."""
    listed = context.get("steps") or []
    current = context.get("current")
    number = context.get("number")
    label = next((name for key, name in listed if key == current), "")
    return {
        "steps": listed,
        "current": current,
        "number": number,
        "total": context.get("total"),
        "label": label,
    }


@register.inclusion_tag("reports/_error_summary.html")
def error_summary(*forms, extra_errors=(), only: str = "", order: str = "") -> dict:
    """Every error of the page's forms, in the order the page shows the fields, each one labelled and
    linked to its field. `order` lists field names (a formset by its prefix, "*" for the rest) where the
    page lays fields out differently from the form; `only` keeps the errors of the fields named (the
    safety check shows one question at a time)."""
    entries = []
    for form in forms:
        if form is not None and form.is_bound:
            entries += formset_errors(form) if isinstance(form, BaseFormSet) else form_errors(form)
    if only:
        entries = [entry for entry in entries if entry["key"] in only.split()]
    entries = in_page_order(entries, order.split())
    entries += [{"text": error, "anchor": ""} for error in extra_errors]
    return {"errors": entries, "has_errors": bool(entries)}


def form_errors(form, *, prefix: str = "") -> list[dict]:
    """(key, text, anchor) for one form's errors: its own first, then each field's, in the form's order."""
    fields = list(form)
    visible = [bound for bound in fields if not bound.is_hidden] or fields
    first = visible[0] if visible else None
    entries = [error_entry(NON_FIELD_ERRORS, prefix, None, error, first) for error in form.non_field_errors()]
    for bound in fields:
        # A hidden field (the map pin) has no label or place of its own: the first field stands for it.
        shown = first if bound.is_hidden else bound
        entries += [error_entry(bound.name, prefix, shown, error, shown) for error in bound.errors]
    return entries


def formset_errors(formset) -> list[dict]:
    """A formset's errors under its prefix: its own ("at least one item") linked to the first item's first
    field, then each item's, labelled "Item 2: Value: …" in the page's language."""
    key = formset.prefix
    first_form = formset.forms[0] if formset.forms else None
    first = next(iter(first_form), None) if first_form is not None else None
    entries = [error_entry(key, "", None, error, first) for error in formset.non_form_errors()]
    for number, item in enumerate(formset.forms, start=1):
        for entry in form_errors(item, prefix=gettext("Item %(number)s") % {"number": number}):
            entries.append({**entry, "key": key})
    return entries


def error_entry(key: str, prefix: str, labelled_by, message, linked_to) -> dict:
    parts = [part for part in (prefix, labelled_by.label if labelled_by else "") if part]
    text = message
    for part in reversed(parts):
        # "Is anyone hurt?: …" reads badly: a label that ends in a question mark needs no colon.
        text = format_html("{} {}" if str(part).rstrip().endswith("?") else "{}: {}", part, text)
    field = labelled_by is not None  # else about the form as a whole, and its message says so
    return {"key": key, "text": text, "anchor": field_anchor(linked_to), "field": field}


def field_anchor(bound) -> str:
    """The id of the input a link should go to: the field itself, or its first radio or checkbox."""
    if bound is None:
        return ""
    if bound.id_for_label:
        return bound.id_for_label
    subwidgets = bound.subwidgets
    return (subwidgets[0].id_for_label if subwidgets else "") or bound.auto_id or ""


def in_page_order(entries: list[dict], order: list[str]) -> list[dict]:
    if not order:
        return entries
    rest = order.index("*") if "*" in order else len(order)

    def position(entry: dict) -> int:
        if entry["key"] in order:
            return order.index(entry["key"])
        return -1 if entry["key"] == NON_FIELD_ERRORS else rest

    return sorted(entries, key=position)  # stable: within a field, or the rest, the form's own order


@register.simple_tag(takes_context=True)
def staff_queues(context):
    """The queues of the staff menu; None (no menu) until the session has passed both steps of signing in,
    so the code and enrolment pages do not tell a password alone which queues the account works."""
    from reports import second_factor
    from reports.access import menu_queues

    request = context.get("request")
    if request is None or not request.user.is_authenticated or not second_factor.passed(request):
        return None
    return menu_queues(request.user)


@register.filter
def person(user) -> str:
    """A staff member as colleagues know them: full name, else username; empty for nobody."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


@register.filter
def block_of(address: str) -> str:
    """An address to its block, in the reader's language: where a problem is, not whose door it is."""
    return places.block_text(address)


@register.filter
def phone(number: str) -> str:
    """An E.164 number as people in the city write it; anything else as it was typed."""
    return sms.readable(number) if number else ""


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key)
