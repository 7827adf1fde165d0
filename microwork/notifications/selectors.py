from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import Notice

if TYPE_CHECKING:
    from microwork.accounts.models import User


def notices_recent(user: "User", limit: int = 10) -> QuerySet[Notice]:
    return Notice.objects.filter(user=user).order_by("-id")[:limit]


def notices_unread_count(user: "User") -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()
