"""One module per way out (apprise's layout): each a class over `base.Channel` declaring its limits."""

from notifications.channels.base import Channel, DeliveryFailure, Envelope, PermanentFailure, TemporaryFailure

__all__ = ["Channel", "DeliveryFailure", "Envelope", "PermanentFailure", "TemporaryFailure"]
