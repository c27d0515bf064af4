"""Where the eligibility screen sends people it cannot help online, and why."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _


def setting(name: str):
    return lazy(lambda: getattr(settings, name), str)()


@dataclass(frozen=True)
class StopPage:
    title: str
    why: str
    call: str
    phone: str
    urgent: bool = False


STOP_PAGES = {
    "emergency": StopPage(
        title=_("Call 911 now"),
        why=_(
            "Someone may be in danger or hurt. An online report is not seen right away, so it cannot "
            "send help."
        ),
        call=_("Call 911"),
        phone=setting("PHONE_EMERGENCY"),
        urgent=True,
    ),
    "in-progress": StopPage(
        title=_("Call 911 now"),
        why=_(
            "It is happening now or the person who did it is still there. Police may be able to stop it "
            "or catch them, so call instead of reporting online."
        ),
        call=_("Call 911"),
        phone=setting("PHONE_EMERGENCY"),
        urgent=True,
    ),
    "suspect-known": StopPage(
        title=_("Please call the police non-emergency line"),
        why=_(
            "When you know who did it, a police officer needs to take the report so that they can follow "
            "up with that person. Online reports are taken by civilian staff who cannot do that."
        ),
        call=_("Call the police non-emergency line"),
        phone=setting("PHONE_POLICE_NON_EMERGENCY"),
    ),
    "outside-city": StopPage(
        title=_("Please report it where it happened"),
        why=_(
            "We can only take reports of things that happened inside the city limits. The police or "
            "sheriff of the city or county where it happened will take your report. If you are not sure, "
            "call 311 and we will tell you who to call."
        ),
        call=_("Call 311"),
        phone=setting("PHONE_311"),
    ),
    "excluded-items": StopPage(
        title=_("Please call the police non-emergency line"),
        why=_(
            "Stolen firearms, motor vehicles and license plates must be reported to a police officer, "
            "so that they can be entered into the national databases right away."
        ),
        call=_("Call the police non-emergency line"),
        phone=setting("PHONE_POLICE_NON_EMERGENCY"),
    ),
    "over-value-cap": StopPage(
        title=_("Please call the police non-emergency line"),
        why=_("Losses of this size are investigated by police, so a police officer takes the report."),
        call=_("Call the police non-emergency line"),
        phone=setting("PHONE_POLICE_NON_EMERGENCY"),
    ),
}
