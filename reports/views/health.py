"""/healthz for load balancers and monitoring: 200 when everything answers, 503 otherwise. A check with
"warning": true (evidence space running low) needs a person soon but keeps the answer 200."""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from reports import health


@require_GET
@never_cache
def healthz(request):
    checks = health.all_checks()
    body = {
        check.name: {"ok": check.ok, "detail": check.detail, **({"warning": True} if check.warning else {})}
        for check in checks
    }
    return JsonResponse(body, status=200 if all(check.ok for check in checks) else 503)


urlpatterns = [path("healthz", healthz, name="healthz")]
