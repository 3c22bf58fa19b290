import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")

app = Celery("workspace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# By name: the step's module loads Django models, imported when the worker boots.
app.steps["worker"].add("workspace.operations.heartbeat.HeartbeatStep")


@worker_process_init.connect
def _startup_objects_frozen(**_: object) -> None:
    """What a pool process inherited from the worker's start lives as long as the process:
    kept out of the collector's passes, as the web server does (workspace/wsgi.py)."""
    gc.freeze()
