"""The Django admin behind the same two sign-in steps as the staff pages.

Installed in place of "django.contrib.admin" (INSTALLED_APPS), so `admin.site` is this site and every
`admin.site.register(...)` in the project keeps working unchanged. Imported while apps load: no model
imports at the top.
"""

from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.sites import AdminSite
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode


class VerifiedAdminConfig(AdminConfig):
    default_site = "reports.admin_site.VerifiedAdminSite"


class VerifiedAdminSite(AdminSite):
    def has_permission(self, request) -> bool:
        from reports import second_factor

        return super().has_permission(request) and second_factor.passed(request)

    def login(self, request, extra_context=None):
        # One sign-in for everything: the staff page's password step (with its lockout), then the code.
        from django.contrib.auth.views import redirect_to_login

        from reports import second_factor

        goal = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if not request.user.is_authenticated:
            return redirect_to_login(goal)
        if not second_factor.passed(request):
            return redirect(f"{reverse('staff-2fa-verify')}?{urlencode({'next': goal})}")
        # Signed in with both steps but not allowed in: the admin's own page says so.
        return super().login(request, extra_context)
