from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from microwork.ops.tick import run_due

PERIODIC_TICK_PATH = "microwork.ops.tasks.periodic_tick"


@task()
def periodic_tick() -> dict[str, int]:
    """Run the due transitions, then book the next run."""
    try:
        return run_due()
    finally:
        schedule_tick(delay=timedelta(seconds=settings.TICK_INTERVAL_SECONDS))


def schedule_tick(*, delay: timedelta = timedelta(0)) -> bool:
    """Book one run of `periodic_tick` unless one is already waiting."""
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=PERIODIC_TICK_PATH, status="READY").exists():
        return False
    periodic_tick.using(run_after=timezone.now() + delay).enqueue()
    return True
