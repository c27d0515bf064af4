"""Play a resident's reply to our texts (STOP, START, HELP) without a provider, for `make run`.

    .venv/bin/python manage.py sms_reply 612-555-0123 STOP

It goes through the same code as a signed request to /sms/inbound/ and prints what we would answer.
"""

from django.core.management.base import BaseCommand, CommandError

from reports import sms, texts


class Command(BaseCommand):
    help = "Handle a text reply (STOP, START, HELP) from a number, as if the provider had posted it."

    def add_arguments(self, parser):
        parser.add_argument("number")
        parser.add_argument("body", nargs="+")

    def handle(self, *args, number, body, **options):
        try:
            phone = sms.normalise(number)
        except sms.NotAMobileNumber as exc:
            raise CommandError(f"{number!r} is not a mobile number") from exc
        answer = texts.handle_reply(phone, " ".join(body))
        self.stdout.write(answer or f"(no answer: {phone} is recorded as {texts.keyword(' '.join(body))})")
