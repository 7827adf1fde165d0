"""The background worker of django-tasks-db, with the periodic tick booked.

Shadows `django_tasks_db`'s own `db_worker` (this app comes first in
INSTALLED_APPS): it makes sure a `periodic_tick` is waiting, then runs the
worker unchanged. The tick books its own next run each time it runs.
"""

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from microwork.ops.tasks import schedule_tick


class Command(DbWorkerCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        if schedule_tick():
            self.stdout.write("Periodic tick booked.")
        super().handle(*args, **options)
