import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")

app = Celery("workspace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# By name: the step's module loads Django models, imported when the worker boots.
app.steps["worker"].add("workspace.operations.heartbeat.HeartbeatStep")
