from django.urls import include, path

from .views import (
    deliveries,
    filing_phone,
    filing_review,
    filing_steps,
    follow_up,
    health,
    intake,
    public_figures,
    resident,
    staff,
    staff_queue,
    staff_report,
    supervisor,
    texts_inbound,
    two_factor,
    verify,
)

urlpatterns = [
    path("", include(resident.urlpatterns)),
    path("", include(follow_up.urlpatterns)),
    path("", include(health.urlpatterns)),
    path("", include(public_figures.urlpatterns)),
    path("", include(verify.urlpatterns)),
    path("report/", include(filing_steps.urlpatterns)),
    path("report/", include(filing_phone.urlpatterns)),
    path("report/", include(filing_review.urlpatterns)),
    path("sms/", include(texts_inbound.urlpatterns)),
    path("staff/", include(staff.urlpatterns)),
    path("staff/2fa/", include(two_factor.urlpatterns)),
    path("staff/queues/", include(staff_queue.urlpatterns)),
    path("staff/reports/", include(staff_report.urlpatterns)),
    path("staff/intake/", include(intake.urlpatterns)),
    path("staff/figures/", include(supervisor.urlpatterns)),
    path("staff/deliveries/", include(deliveries.urlpatterns)),
]
