from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import translation

from seeds import loader


class Command(BaseCommand):
    help = (
        "Load the service catalog, the city boundary, the city holidays, the language lines and the staff "
        "groups from seeds/. "
        "Safe to run again: it updates rows in place and never duplicates them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Also create the demo staff accounts (and demo reports). Never use on a live site.",
        )

    def handle(self, *args, demo: bool = False, verbosity: int = 1, **options) -> None:
        try:
            # modeltranslation fills the plain columns (name, label, ...) from the active language.
            with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
                catalog = loader.seed_catalog()
                area = loader.seed_service_area()
                reasons = loader.seed_reasons()
                holidays = loader.seed_holidays()
                language_lines = loader.seed_language_lines()
                responses = loader.seed_response_templates()
                groups = loader.seed_groups()
                accounts = loader.seed_demo_users() if demo else None
                if demo:
                    loader.seed_demo_reports(self.stdout)
        except loader.SeedError as error:
            raise CommandError(str(error)) from error
        if verbosity == 0:
            return

        self.stdout.write(
            f"Catalog: {catalog.queues} queues, {catalog.report_types} report types, "
            f"{catalog.subtypes} subtypes, {catalog.questions} questions, {catalog.choices} choices."
        )
        self.stdout.write(
            f"Service area: {area.name}. Rejection and referral reasons and parking dispositions: {reasons}."
        )
        self.stdout.write(f"City holidays: {holidays}.")
        self.stdout.write(f"Language lines: {language_lines}. Staff response templates: {responses}.")
        self.stdout.write(f"Staff groups: {', '.join(group.name for group in groups)}.")
        if accounts:
            self.write_demo_accounts(accounts)
        self.stdout.write(self.style.SUCCESS("Seeded."))

    def write_demo_accounts(self, accounts: loader.DemoAccounts) -> None:
        rows = [("username", "name", "groups")] + [
            (user.username, user.get_full_name(), ", ".join(user.groups.values_list("name", flat=True)))
            for user in accounts.users
        ]
        user_width = max(len(row[0]) for row in rows)
        name_width = max(len(row[1]) for row in rows)
        self.stdout.write(f"\nDemo accounts, all with the password {accounts.password!r}:")
        for username, name, groups in rows:
            self.stdout.write(f"  {username:<{user_width}}  {name:<{name_width}}  {groups}")
        self.stdout.write(
            f"Second step of sign-in: any of the backup codes {', '.join(accounts.backup_codes)}. "
            "Each works once per account; `make run` puts them back."
        )
        self.stdout.write("")
