from django.urls import include, path

from .views import (
    deliveries,
    filing,
    health,
    intake,
    resident,
    staff,
    staff_queue,
    staff_report,
    supervisor,
    traffic,
    traffic_api,
    two_factor,
)

urlpatterns = [
    path("", resident.home, name="home"),
    path("", include(health.urlpatterns)),
    path("report/", filing.start, name="report-start"),
    path("report/new/<slug:subtype_code>/", filing.eligibility, name="report-eligibility"),
    path("report/stop/<slug:reason>/", filing.stop, name="report-stop"),
    path("report/details/", filing.details, name="report-details"),
    path("report/review/", filing.review, name="report-review"),
    path("report/submitted/", filing.submitted, name="report-submitted"),
    path("status/<str:token>/", resident.status, name="report-status"),
    path("status/<str:token>/reply/", resident.status_reply, name="report-status-reply"),
    path("status/<str:token>/report.pdf", resident.status_pdf, name="report-status-pdf"),
    path(
        "status/<str:token>/evidence/<uuid:public_id>/<slug:variant>/",
        resident.status_evidence,
        name="report-status-evidence",
    ),
    path("staff/", include(staff.urlpatterns)),
    path("staff/2fa/", include(two_factor.urlpatterns)),
    path("staff/queues/", include(staff_queue.urlpatterns)),
    path("staff/reports/", include(staff_report.urlpatterns)),
    path("staff/intake/", include(intake.urlpatterns)),
    path("staff/figures/", include(supervisor.urlpatterns)),
    path("staff/deliveries/", include(deliveries.urlpatterns)),
    path("traffic/api/", include(traffic_api.urlpatterns)),
    path("traffic/", include(traffic.urlpatterns)),
]
