"""Confirming the resident's mobile number with a texted code, between the details and the review.

The details step sends the first code when the resident chooses texts; this page takes the code, sends
a new one on request, and the review page sends the resident here until the number is confirmed.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from reports import drafts, forms, phone_codes, sms

from .filing_flow import RESIDENT, Flow, draft_in_progress, page, send_code, step_limit, steps
from .filing_steps import details_forms


@require_http_methods(["GET", "POST"])
@step_limit
def phone(request, flow=RESIDENT):
    draft, elsewhere = draft_in_progress(request, flow)
    if elsewhere:
        return elsewhere
    details_form, _items = details_forms(draft, drafts.details_data(draft))
    if not details_form.is_valid():
        return redirect(flow.urls["details"])
    number = drafts.number_to_confirm(draft, details_form.cleaned_data)
    if not number:
        return redirect(flow.urls["review"])
    form = forms.PhoneCodeForm(request.POST if "code" in request.POST else None)
    if request.method == "POST":
        if "resend" in request.POST:
            if send_code(request, flow, draft, number):
                messages.success(request, _("We sent a new code."))
            return redirect(flow.urls["phone"])
        if form.is_valid():
            outcome = phone_codes.check_code(draft, number, form.cleaned_data["code"])
            if outcome.ok:
                messages.success(request, _("Your number is confirmed."))
                return redirect(flow.urls["review"])
            form.add_error("code", outcome.message)
    context = {
        "draft": draft,
        "form": form,
        "mobile": sms.readable(number),
        "code_sent": draft.phone_codes.filter(phone=number, confirmed_at__isnull=True).exists(),
        "consent": sms.CONSENT,
        **steps(draft.subtype, "review"),
    }
    return page(request, flow, "phone.html", context)


def step_urls(flow: Flow, guard=lambda view: view) -> list:
    return [path("phone/", guard(phone), {"flow": flow}, name=flow.urls["phone"])]


urlpatterns = step_urls(RESIDENT)
