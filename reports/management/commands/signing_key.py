"""Show which certificate signs the approved copies, making the self-signed one first if it is missing.

    .venv/bin/python manage.py signing_key

`make run` runs it, so the demo's pair exists before web and worker start. A deployment that sets
REPORT_SIGNING_CERT and REPORT_SIGNING_KEY uses the city's pair, and this only prints its fingerprint.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from reports import signing


class Command(BaseCommand):
    help = "Make the self-signed signing pair if none is configured or made yet, and show its fingerprint."

    def handle(self, *args, **options):
        files = signing.signing_files()
        own = "the city's" if settings.REPORT_SIGNING_CERT else "self-signed, for make run and pilots only"
        self.stdout.write(f"Approved copies are signed with {files.certificate} ({own})")
        self.stdout.write(f"SHA-256 fingerprint: {signing.certificate_fingerprint(files.certificate)}")
