"""Designed error pages, in the visitor's language, with the numbers to call (portal/urls.py handler*).

They render only the page's own text and the city's settings: nothing that could itself be failing
(the database, the session) is touched, so a 500 page still shows when the database is down.
"""

from django.shortcuts import render


def bad_request(request, exception):
    # Also what a resident meets when their session could not be saved (a database restart mid-click).
    return render(request, "errors/400.html", status=400)


def page_not_found(request, exception):
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception):
    return render(request, "errors/403.html", status=403)


def server_error(request):
    return render(request, "errors/500.html", status=500)


def csrf_failure(request, reason=""):
    return render(request, "errors/csrf.html", status=403)


def too_many_requests(request, exception):
    # django-ratelimit's RATELIMIT_VIEW; the limits are per hour, so that is when to come back.
    response = render(request, "errors/429.html", status=429)
    response["Retry-After"] = "3600"
    return response
