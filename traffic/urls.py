from django.urls import include, path

from . import api, views

urlpatterns = [
    path("api/", include(api.urlpatterns)),
    path("", include(views.urlpatterns)),
]
