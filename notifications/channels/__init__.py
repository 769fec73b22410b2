"""One module per way out (apprise's layout): each a class over `base.Channel` declaring its limits."""

from notifications.channels.base import (
    Channel,
    Deferred,
    DeliveryFailure,
    Envelope,
    PermanentFailure,
    TemporaryFailure,
)

__all__ = ["Channel", "Deferred", "DeliveryFailure", "Envelope", "PermanentFailure", "TemporaryFailure"]
