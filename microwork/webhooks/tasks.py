from django_tasks import task

from .services import delivery_attempt


@task()
def webhook_deliver(delivery_id: int) -> bool:
    """One try of one delivery (a retry is booked by the try that failed)."""
    return delivery_attempt(delivery_id=delivery_id)
