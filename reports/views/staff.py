"""Staff sign-in and the landing page; the queue, report, intake and figures pages live beside it."""

from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from reports import access, queries


@require_GET
@access.staff_required()
def home(request):
    queues = queries.with_open_counts(access.workable_queues(request.user))
    return render(
        request,
        "reports/staff/home.html",
        {"queues": queues, "can_file": access.can_file_for_caller(request.user)},
    )


urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="reports/staff/login.html", redirect_authenticated_user=True
        ),
        name="staff-login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="staff-login"), name="staff-logout"),
    path("", home, name="staff-home"),
]
