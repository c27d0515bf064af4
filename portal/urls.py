from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("open311/", include("open311.urls")),
    path("traffic/", include("traffic.urls")),
    path("", include("reports.urls")),
]
