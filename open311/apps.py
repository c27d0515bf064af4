from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "open311"
    verbose_name = "Open311 API"
    default_auto_field = "django.db.models.BigAutoField"
