"""A login code or link is sent as the request ends, not at the scheduler's next dispatch (up to 5 minutes on).

Only the outbox rows whose dedupe key starts with the given prefix are claimed, through the same claims as
every dispatcher, so a scheduler dispatching at the same moment never sends one twice. The send runs in
Starlette's thread pool after the response (never on the event loop); if it fails, the scheduled dispatch
sends the message later, as it would any other.
"""

import logging

from fastapi import BackgroundTasks

from web.context import WebContext

logger = logging.getLogger(__name__)


def send_after_response(background: BackgroundTasks, ctx: WebContext, key_prefix: str) -> None:
    """Unless XINYU_SEND_LOGINS_AT_ONCE=false: then the scheduled dispatch sends it, as any other message."""
    if ctx.send_logins_at_once:
        background.add_task(_send, ctx, key_prefix)


def _send(ctx: WebContext, key_prefix: str) -> None:
    from notifications.dispatcher import dispatch

    try:
        result = dispatch(ctx.engine, now=ctx.now(), key_prefix=key_prefix)
    except Exception:  # the scheduled dispatch takes it over
        logger.exception("immediate send of %s* failed; left to the scheduled dispatch", key_prefix)
        return
    logger.info("immediate send of %s*: %s", key_prefix, result.as_dict())
