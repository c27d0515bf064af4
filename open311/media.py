"""Media a client sends with a request or a comment: links recorded as they are, photos stored as evidence.

A media_url is never fetched (the server does not go and download what a client names). A photo uploaded
as a multipart `media` file is checked and stored exactly like a resident's (reports.evidence): the same
types, the same size limit (EVIDENCE_MAX_BYTES), the same location-stripped copies.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.http import QueryDict

from reports import evidence
from reports.evidence import StoredUpload
from reports.evidence_checks import EvidenceRejected

from .formats import Open311Error, bad_request

MAX_URL_LENGTH = 500
MAX_URLS = 20
FILE_FIELD = "media"
STORAGE_RETRY_SECONDS = 300


def media_urls(params: QueryDict) -> list[str]:
    """Every media_url sent (FixMyStreet repeats the parameter for several photos), in order."""
    return [url.strip() for url in params.getlist("media_url") if url.strip()]


def media_url_problems(urls: list[str]) -> list[str]:
    if len(urls) > MAX_URLS:
        return [f"media_url: At most {MAX_URLS} links."]
    problems = []
    for url in urls:
        if len(url) > MAX_URL_LENGTH or "\x00" in url:
            problems.append(f"media_url: At most {MAX_URL_LENGTH} characters, and no control characters.")
        elif not is_web_url(url):
            problems.append("media_url: Give an http or https URL.")
    return problems


def is_web_url(value: str) -> bool:
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return False
    return True


def store_photos(files: list[UploadedFile]) -> list[StoredUpload]:
    """Check and store every file, or none: one bad file and the request is refused, listing each problem.
    The caller discards what was stored if its own transaction fails."""
    if not files:
        return []
    try:
        evidence.check_file_count(len(files))
    except ValidationError as exc:
        raise bad_request(*(f"{FILE_FIELD}: {message}" for message in exc.messages)) from None
    stored, problems = [], []
    try:
        for upload in files:
            try:
                stored.append(evidence.store_upload(upload))
            except EvidenceRejected as exc:
                problems.append(f"{FILE_FIELD}: {exc.message}")
    except evidence.StorageUnavailable:
        evidence.discard(stored)
        raise Open311Error(
            503,
            ["media: Photos cannot be stored right now. Send the request again later, or without them."],
            headers={"Retry-After": str(STORAGE_RETRY_SECONDS)},
        ) from None
    except BaseException:
        evidence.discard(stored)
        raise
    if problems:
        evidence.discard(stored)
        raise bad_request(*problems)
    return stored
