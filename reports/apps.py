from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from . import access, catalog, second_factor, versions

        versions.connect()
        catalog.connect()
        access.connect()
        second_factor.connect()
