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


@task()
def export_build(user_id: int) -> str:
    """Build a large data export into private storage and email its owner the link (AC03)."""
    from django.core.mail import send_mail
    from django.utils import translation
    from django.utils.translation import gettext as _

    from microwork.accounts.models import User
    from microwork.notifications.services import user_language

    from .export import export_file_build, export_link

    user = User.objects.get(pk=user_id)
    link = export_link(export_file_build(user))
    hours = settings.EXPORT_LINK_MAX_AGE_SECONDS // 3600
    # Written in the owner's language: the worker has no page language of its own.
    with translation.override(user_language(user)):
        subject = _("Your Microwork data is ready")
        body = _("Download your data (JSON) from this link, valid for %(hours)s hours, once signed in: %(link)s") % {
            "hours": hours,
            "link": link,
        }
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return link
