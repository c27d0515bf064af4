from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from . import access, catalog, versions

        versions.connect()
        catalog.connect()
        access.connect()
