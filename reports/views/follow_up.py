"""The follow-up question's pages, under the status link (reports/follow_ups.py asks it): both questions
with a button per answer, and a page per answer for the email's one-tap links."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reports import follow_ups
from reports.models import FollowUp

from .resident import lookup_limit, reply_limit, report_for_token


def asked_follow_up(request, token: str) -> FollowUp:
    """The report's follow-up, in the resident's language; 404 when it was never asked."""
    report = report_for_token(request, token)
    follow_up = FollowUp.objects.filter(report=report, asked_at__isnull=False).first()
    if follow_up is None:
        raise Http404
    follow_up.report = report
    return follow_up


def questions(follow_up: FollowUp) -> list[dict]:
    return [
        {"name": name, "text": text, "answer": getattr(follow_up, name)}
        for name, text in follow_ups.QUESTIONS.items()
    ]


@require_http_methods(["GET", "POST"])
@lookup_limit
@reply_limit
def feedback(request, token):
    follow_up = asked_follow_up(request, token)
    if request.method == "POST":
        record(request, follow_up.report)
        return redirect("report-feedback", token)
    return render(
        request,
        "reports/resident/feedback.html",
        {"report": follow_up.report, "token": token, "questions": questions(follow_up)},
    )


def record(request, report) -> None:
    """Keep the answer posted (one question at a time); a second answer to a question changes nothing."""
    question = request.POST.get("question", "")
    value = follow_ups.ANSWERS.get(request.POST.get("answer", ""))
    if question not in follow_ups.QUESTIONS or value is None:
        messages.error(request, _("Please choose Yes or No."))
    elif follow_ups.answer(report, question, value):
        messages.success(request, _("Thank you. Your answer was recorded."))
    else:
        messages.info(request, _("We already have your answer to this question. Thank you."))


@require_GET
@lookup_limit
def feedback_answer(request, token, question, answer):
    """An email's one-tap link. It only shows the answer to send (a link checker that opens every link in
    an email must not answer for the resident); the page sends it at once in a browser (static/js/site.js),
    and without JavaScript the resident presses the one button."""
    follow_up = asked_follow_up(request, token)
    if question not in follow_ups.QUESTIONS or answer not in follow_ups.ANSWERS:
        raise Http404
    if getattr(follow_up, question) is not None:
        messages.info(request, _("We already have your answer to this question. Thank you."))
        return redirect("report-feedback", token)
    return render(
        request,
        "reports/resident/feedback_answer.html",
        {
            "report": follow_up.report,
            "token": token,
            "question": question,
            "question_text": follow_ups.QUESTIONS[question],
            "answer": answer,
        },
    )


@require_POST
@reply_limit
def feedback_opt_out(request, token):
    follow_up = asked_follow_up(request, token)
    follow_ups.opt_out(follow_up.report)
    messages.success(request, _("We will not send you questions like these again."))
    return redirect("report-feedback", token)


urlpatterns = [
    path("status/<str:token>/feedback/", feedback, name="report-feedback"),
    path("status/<str:token>/feedback/stop/", feedback_opt_out, name="report-feedback-opt-out"),
    path(
        "status/<str:token>/feedback/<slug:question>/<slug:answer>/",
        feedback_answer,
        name="report-feedback-answer",
    ),
]
