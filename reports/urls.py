from django.urls import include, path

from .views import intake, resident, staff, staff_queue, staff_report, supervisor

urlpatterns = [
    path("", resident.home, name="home"),
    path("report/", resident.start, name="report-start"),
    path("report/new/<slug:subtype_code>/", resident.eligibility, name="report-eligibility"),
    path("report/stop/<slug:reason>/", resident.stop, name="report-stop"),
    path("report/details/", resident.details, name="report-details"),
    path("report/review/", resident.review, name="report-review"),
    path("report/submitted/", resident.submitted, name="report-submitted"),
    path("status/<str:token>/", resident.status, name="report-status"),
    path(
        "status/<str:token>/evidence/<uuid:public_id>/<slug:variant>/",
        resident.status_evidence,
        name="report-status-evidence",
    ),
    path("staff/", include(staff.urlpatterns)),
    path("staff/queues/", include(staff_queue.urlpatterns)),
    path("staff/reports/", include(staff_report.urlpatterns)),
    path("staff/intake/", include(intake.urlpatterns)),
    path("staff/figures/", include(supervisor.urlpatterns)),
]
