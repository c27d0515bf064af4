"""Replies to our texts (STOP, START, HELP, and STILL for a parking ticket resolved while the vehicle is
still there), as the provider posts them: signed, or refused with 401."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse

from reports import routing, sms, texts, workflow


@csrf_exempt  # the provider's signature stands in for the CSRF token
@require_POST
def inbound(request):
    # Twilio signs the URL it was given (the public one) with the POSTed fields.
    url = settings.SITE_URL + request.get_full_path()
    params = {name: request.POST.get(name) for name in request.POST}
    if not sms.signature_valid(url, params, request.headers.get("X-Twilio-Signature", "")):
        return HttpResponse("Signature required.", status=401, content_type="text/plain")
    try:
        number = sms.normalise(request.POST.get("From", ""))
    except sms.NotAMobileNumber:
        return twiml("")
    body = request.POST.get("Body", "")
    if texts.keyword(body) == texts.STILL_THERE_WORD:
        report = routing.still_there_by_text(number)
        return twiml(texts.still_there_reply(report, number, hours=workflow.STILL_THERE_HOURS))
    return twiml(texts.handle_reply(number, body))


def twiml(reply: str) -> HttpResponse:
    """The provider's answer format: one message back, or none."""
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return HttpResponse(str(response), content_type="text/xml")


urlpatterns = [path("inbound/", inbound, name="sms-inbound")]
