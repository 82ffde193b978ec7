"""The console's two sub-applications and the routes of every page (``/console/`` and ``/public/``)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from aiohttp_session import setup as setup_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from bot.config import Config
from bot.console import announcements, board, dashboard, export, orgpage, public, security, simulator, site, ticket


def console_app(config: Config) -> web.Application:
    c = config.console
    app = web.Application()
    setup_session(app, EncryptedCookieStorage(
        security.cookie_key(c.secret_key), cookie_name="gridbot_console", httponly=True, samesite="Lax",
        secure=c.cookie_secure, max_age=int(timedelta(hours=c.session_hours).total_seconds()), path="/console/"))
    app.middlewares.append(site.console_middleware)
    site.jinja(app)
    app[site.CONSOLE_CONFIG] = config
    app[site.THROTTLE] = security.Throttle(c.login_max_failures, c.login_lock_seconds)

    app.router.add_get("", site.home)
    app.router.add_get("/", site.home)
    app.router.add_get("/login", site.login_form)
    app.router.add_post("/login", site.login)
    app.router.add_post("/logout", site.logout)
    board.routes(app)
    ticket.routes(app)
    dashboard.routes(app)
    export.routes(app)
    orgpage.routes(app)
    announcements.routes(app)
    if c.simulator:
        simulator.routes(app)
    app.router.add_static("/static/", site.HERE / "static", name="static")
    return app


def public_app(config: Config) -> web.Application:
    app = web.Application()
    site.jinja(app)
    app[site.CONSOLE_CONFIG] = config
    public.routes(app)
    return app
