"""The second step of staff sign-in: a code from an authenticator app or a backup code, or setting one up.

The password step is the LoginView in staff.py (with django-axes); `access.staff_required` sends every
signed-in session that has not passed this step here, with the page it wanted as `next`.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render, resolve_url
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from reports import second_factor, staff_forms


def next_url(request) -> str:
    goal = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        goal, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return goal if safe else resolve_url(settings.LOGIN_REDIRECT_URL)


def with_next(name: str, goal: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': goal})}"


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    goal = next_url(request)
    if not request.user.is_authenticated:
        return redirect_to_login(goal)
    if second_factor.passed(request):
        return redirect(goal)
    if second_factor.needs_enrolment(request.user):
        return redirect(with_next("staff-2fa-enrol", goal))
    if second_factor.out_of_codes(request.user):
        messages.error(
            request,
            _(
                "You have used all your backup codes and have no authenticator app. Ask an administrator "
                "to reset your second factor; you will set up a new app at your next sign-in."
            ),
        )
    form = staff_forms.CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        if second_factor.verify(request, form.cleaned_data["code"]):
            return redirect(goal)
        form.add_error("code", wrong_code_message(request.user))
    return render(request, "reports/staff/two_factor_verify.html", {"form": form, "next": goal})


def wrong_code_message(user) -> str:
    if second_factor.throttled(user):
        return _("Too many wrong codes in a row. Wait a minute, then try again with a new code.")
    return _("That code is not right. Check the time on your phone, or use one of your backup codes.")


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request):
    goal = next_url(request)
    if not request.user.is_authenticated:
        return redirect_to_login(goal)
    if not second_factor.may_enrol(request):
        return redirect(with_next("staff-2fa-verify", goal))
    device = second_factor.pending_authenticator(request.user)
    form = staff_forms.CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        codes = second_factor.confirm_enrolment(request, device, form.cleaned_data["code"])
        if codes:
            # Shown in this response only: no link leads back to them.
            context = {"codes": codes, "next": goal}
            return render(request, "reports/staff/two_factor_backup_codes.html", context)
        form.add_error("code", _("That code is not right. Enter the 6-digit code the app shows now."))
    context = {
        "form": form,
        "next": goal,
        "qr_code": second_factor.qr_code_data_uri(device),
        "secret": second_factor.secret_for_typing(device),
    }
    return render(request, "reports/staff/two_factor_enrol.html", context)


urlpatterns = [
    path("", verify, name="staff-2fa-verify"),
    path("enrol/", enrol, name="staff-2fa-enrol"),
]
