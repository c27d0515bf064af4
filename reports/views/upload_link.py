"""The page a one-time upload link opens: an upload form for one report, and nothing else of it."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_http_methods

from reports import forms, submission, upload_links, workflow
from reports.models import UploadLink
from reports.views.resident import in_report_language, lookup_limit, reply_limit

TEMPLATE = "reports/resident/upload.html"


@require_http_methods(["GET", "POST"])
@lookup_limit
@reply_limit
def upload(request, token):
    link = UploadLink.find(token)
    if link is None:
        raise Http404
    in_report_language(request, link.report)
    context = {"number": link.report.tracking_number}
    try:
        upload_links.check_usable(link)
    except upload_links.Unusable as unusable:
        return render(request, TEMPLATE, {**context, "refused": str(unusable)}, status=410)
    posted = request.method == "POST"
    form = forms.UploadForm(request.POST, request.FILES) if posted else forms.UploadForm()
    if posted and form.is_valid():
        uploads, errors = submission.store_uploads(form.cleaned_data["files"])
        for error in errors:
            form.add_error("files", error)
        if not errors:
            try:
                upload_links.use(link, uploads)
            except (upload_links.Unusable, workflow.NotAllowed) as refused:
                return render(request, TEMPLATE, {**context, "refused": str(refused)}, status=410)
            return render(request, TEMPLATE, {**context, "added": len(uploads)})
    return render(request, TEMPLATE, {**context, "form": form})


urlpatterns = [path("upload/<str:token>/", upload, name="report-upload-link")]
