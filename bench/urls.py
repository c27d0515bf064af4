from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from portal.urls import urlpatterns as portal_urlpatterns


@csrf_exempt
def bare_post(request):
    # What any Django POST with a file costs on this server: parse the multipart body, answer.
    upload = request.FILES["file"]
    return HttpResponse(str(upload.size))


def bare_get(request):
    # What any GET costs on this server with the same middleware (a staff session is read, as on the
    # queue page): the ceiling the queue page is compared with.
    return HttpResponse("ok")


urlpatterns = [path("bench/bare-post/", bare_post), path("bench/bare-get/", bare_get), *portal_urlpatterns]
