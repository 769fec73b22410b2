"""A refused administrative change; the message is one Chinese line, safe to show."""


class AdminError(ValueError):
    """Refused: nothing written."""
