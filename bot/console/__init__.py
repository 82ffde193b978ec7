"""The web console for the grid centre: server-rendered pages under ``/console/`` and ``/public/``.

It is an edge like a channel: it turns HTTP into the same handler calls the chat uses. Actions on tickets go
through the message pipeline as a ``console`` message from the staff member (``bot.console.actions``), so the
rules, the state table, the events and the residents' notices are exactly those of the chat.
"""

from __future__ import annotations

from aiohttp import web

from bot.config import Config


def mount(app: web.Application, config: Config) -> None:
    """Add the console (and the public boards) to ``app``; called by ``bot.app.create_app``."""
    if not config.console.enabled:
        return
    from bot.console.site import console_app, public_app

    app.add_subapp("/console/", console_app(config))
    app.add_subapp("/public/", public_app(config))


__all__ = ["mount"]
