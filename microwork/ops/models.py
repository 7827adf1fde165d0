"""Tables of the benchmark's bare twin views (`microwork.ops.bench`): they
are written only when MICROWORK_BENCH is on, never in production."""

from django.db import models


class BenchCounter(models.Model):
    """The one row the bare write locks and bumps."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"counter {self.pk}: {self.value}"


class BenchHit(models.Model):
    """The one row the bare write inserts."""

    counter = models.ForeignKey(BenchCounter, on_delete=models.CASCADE, related_name="hits")
    value = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"hit {self.pk} on {self.counter_id}"
