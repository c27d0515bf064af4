from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("open311/", include("open311.urls")),
    path("traffic/", include("traffic.urls")),
    path("", include("reports.urls")),
]

handler400 = "reports.views.errors.bad_request"
handler404 = "reports.views.errors.page_not_found"
handler403 = "reports.views.errors.permission_denied"
handler500 = "reports.views.errors.server_error"
