"""Who is asking: the client address rate limits are counted against."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    # X-Forwarded-For is believed only as far as our own proxies wrote it: with N trusted proxies the
    # client is the N-th address from the right; anything further left may be forged.
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR", "")
