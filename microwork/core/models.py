from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IdempotencyRecord(models.Model):
    """The first answer to a POST carrying an Idempotency-Key, replayed to repeats."""

    scope = models.CharField(max_length=64)  # "user:<id>", or "anonymous"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True, default="")
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="core_idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


class Transition(models.Model):
    """One recorded status change: from, to, who, when, why (see core.states).
    Each stateful model has its own table with a foreign key to the object:
    a subclass declares only that key."""

    from_state = models.CharField(max_length=20)
    to_state = models.CharField(max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=500, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        subject = next(f for f in self._meta.concrete_fields if f.is_relation and f.name != "by")
        return f"{getattr(self, subject.attname)}: {self.from_state} → {self.to_state}"
