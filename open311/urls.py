from django.urls import path, re_path

from . import views

# Every call ends in .xml or .json; an unknown suffix is answered by the view, in XML.
FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,10})$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="open311-discovery"),
    re_path(r"^v2/services" + FMT, views.services, name="open311-services"),
    re_path(r"^v2/services/(?P<service_code>[^/]+?)" + FMT, views.service_definition, name="open311-service"),
    re_path(r"^v2/requests" + FMT, views.requests, name="open311-requests"),
    re_path(
        r"^v2/requests/(?P<service_request_id>[^/]+?)" + FMT, views.request_detail, name="open311-request"
    ),
    re_path(r"^v2/tokens/(?P<token>[^/]+?)" + FMT, views.token_lookup, name="open311-token"),
    re_path(r"^v2/servicerequestupdates" + FMT, views.request_updates, name="open311-updates"),
    re_path(r"^v2/openapi" + FMT, views.openapi_description, name="open311-openapi"),
    path("media/<uuid:public_id>.jpg", views.media, name="open311-media"),
    re_path(r"^", views.unknown),
]
