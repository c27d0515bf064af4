from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from .language_lines import language_lines


def city(request: HttpRequest) -> dict:
    return {
        "CITY_NAME": settings.CITY_NAME,
        "PHONE_EMERGENCY": settings.PHONE_EMERGENCY,
        "PHONE_POLICE_NON_EMERGENCY": settings.PHONE_POLICE_NON_EMERGENCY,
        "PHONE_311": settings.PHONE_311,
        "PHONE_311_OUTSIDE": settings.PHONE_311_OUTSIDE,
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_ATTRIBUTION": settings.MAP_ATTRIBUTION,
        "lockout_minutes": round(settings.AXES_COOLOFF_TIME * 60),
        "DRAFT_DAYS": settings.DRAFT_TTL_HOURS // 24,
        # The function, not its result: templates call it only where they show the lines.
        "LANGUAGE_LINES": language_lines,
    }
