"""/verify/: an insurer (or anyone holding an approved copy) checks it is one the city issued. No sign-in;
the page says only what reports/issued_copies.py's `Verified` holds, nothing personal."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET
from django_ratelimit.decorators import ratelimit

from reports import issued_copies
from reports.forms.verify import VerifyCodeForm
from reports.models import printed_code, stored_code

# A code cannot be guessed, but nobody gets to try: each page looked up counts, found or not.
verify_limit = ratelimit(key="ip", rate=settings.VERIFY_RATE, method="GET", group="verify")


@require_GET
def verify(request):
    form = VerifyCodeForm(request.GET if "code" in request.GET else None)
    if form.is_valid():
        return redirect("verify-copy", printed_code(form.cleaned_data["code"]))
    return render(request, "reports/resident/verify.html", {"form": form})


@require_GET
@verify_limit
def verify_copy(request, code):
    code = stored_code(code)  # typed by hand into the address bar too: any case, dashes or not
    copy = issued_copies.verified(code) if code else None
    if copy is None:
        raise Http404
    response = render(request, "reports/resident/verified.html", {"copy": copy, "form": VerifyCodeForm()})
    # The answer changes when a newer copy is issued, so no cache keeps the old one.
    response["Cache-Control"] = "no-cache"
    return response


urlpatterns = [
    path("verify/", verify, name="verify"),
    path("verify/<str:code>", verify_copy, name="verify-copy"),
]
