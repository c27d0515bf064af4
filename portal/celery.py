from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# A filesystem:// URL gets kombu's transport with each message written whole (portal/broker.py); only that
# scheme, so a Redis or RabbitMQ URL beside it (a failover, a test's unreachable broker) keeps its own.
TRANSPORT_ALIASES["filesystem"] = "portal.broker:Transport"

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(sender=None, **kwargs) -> None:
    # What Django does before and after a request: a connection past CONN_MAX_AGE, or one that failed, is
    # closed; any other is kept for the next task (settings.CELERY_DB_REUSE_MAX). Not for a task run eagerly
    # inside the caller's transaction, which closing would end.
    if not getattr(getattr(sender, "request", None), "is_eager", False):
        close_old_connections()


def ensure_broker_folders() -> None:
    # kombu's filesystem transport does not create its folders.
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


ensure_broker_folders()
