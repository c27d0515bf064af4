from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "open311"
    verbose_name = "Open311 API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from reports import workflow

        from . import callbacks

        workflow.status_changed.connect(callbacks.on_status_changed, dispatch_uid="open311-callbacks")
