"""Rate limits for pages anyone can open: a fixed window per client address, counted in Relance's Redis.

Redis keeps the count so every web process shares it. When Redis does not answer, the request
goes through: a limit that fails closed would turn a Redis outage into an outage of these pages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import redis
from flask import current_app, render_template, request

from runtime import clock
from runtime.logs import get_logger

log = get_logger(__name__)
WINDOW_SECONDS = 60


def over_limit(name: str, per_minute: int) -> bool:
    """Count this request against ``name``'s limit for the client's address; True once past it."""
    window = int(clock.now().timestamp()) // WINDOW_SECONDS
    key = f"relance:rate:{name}:{request.remote_addr or 'unknown'}:{window}"
    client: redis.Redis = current_app.extensions["redis"]
    try:
        with client.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS * 2)
            count, _ = pipe.execute()
    except redis.RedisError as error:
        log.warning("rate_limit.unavailable", limit=name, error=type(error).__name__)
        return False
    return int(count) > per_minute


def rate_limited(name: str, per_minute: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view that answers 429, with Retry-After, past ``per_minute`` requests from one address."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            if over_limit(name, per_minute):
                log.warning("rate_limit.refused", limit=name)
                retry_after = WINDOW_SECONDS - int(clock.now().timestamp()) % WINDOW_SECONDS
                page = render_template("problem.html", message="Too many requests. Please wait a minute.")
                return page, 429, {"Retry-After": str(retry_after)}
            return view(*args, **kwargs)

        return limited

    return decorate
