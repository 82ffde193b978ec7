"""The console's sub-applications: sessions, CSRF, login, the 403 page, and the routes of every page."""

from __future__ import annotations

import asyncio
import logging
import warnings
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.web_exceptions import NotAppKeyWarning
from aiohttp_session import get_session, new_session
from aiohttp_session import setup as setup_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from bot.config import Config
from bot.console import security
from bot.console.access import Db, Refused, Staff, audit, load_staff
from handlers import texts, texts_console
from handlers.errors import NotFound, PermissionDenied

log = logging.getLogger("gridbot.console")
HERE = Path(__file__).parent

CONSOLE_CONFIG = web.AppKey("console_config", Config)
THROTTLE = web.AppKey("console_throttle", security.Throttle)
STAFF = web.RequestKey("console_staff", Staff)  # the logged-in person

# aiohttp-session keeps its storage under a plain string request key; that is the library's, not ours
warnings.filterwarnings("ignore", category=NotAppKeyWarning, module="aiohttp_session")

PUBLIC_PATHS = {"/console/login", "/console/static/"}


def _jinja(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    env.globals.update(CATEGORY_NAMES=texts.CATEGORY_NAMES, STATUS_NAMES=texts.STATUS_NAMES,
                       ROLE_NAMES=texts.ROLE_NAMES, LEVEL_NAMES=texts.LEVEL_NAMES, RATING_NAMES=texts.RATING_NAMES,
                       when=lambda dt: texts.when(dt) if dt else "-", quote=quote,
                       EVENT_NAMES=texts_console.EVENT_NAMES)


async def render(request: web.Request, template: str, ctx: dict, *, status: int = 200) -> web.Response:
    session = await get_session(request)
    ctx = {**ctx, "staff": request.get(STAFF), "csrf": await security.csrf_token(request),
           "flash": session.pop("flash", None), "simulator": request.app[CONSOLE_CONFIG].console.simulator}
    return aiohttp_jinja2.render_template(template, request, ctx, status=status)


def db(request: web.Request) -> Db:
    """Database work for this request, on the app's engine (set up by the parent app's storage context)."""
    from bot.app import ENGINE

    return Db(request.config_dict[ENGINE])


def staff(request: web.Request) -> Staff:
    return request[STAFF]


def _is_public(path: str) -> bool:
    return path == "/console/login" or path.startswith("/console/static/")


@web.middleware
async def console_middleware(request: web.Request, handler):
    """Login required, CSRF on every POST, and refusals as a logged, audited 403 page."""
    session = await get_session(request)
    if request.method == "POST" and not await security.check_csrf(request):
        log.warning("console.csrf_refused path=%s remote=%s user=%s", request.path, request.remote,
                    session.get("uid"))
        return web.Response(status=403, text="请求已过期或来源不明（CSRF 校验失败），请刷新页面后重试。")
    if not _is_public(request.path):
        uid = session.get("uid")
        who = await db(request)(lambda s: load_staff(s, uid)) if uid else None
        if who is None:
            if request.method == "GET":
                raise web.HTTPSeeOther(f"/console/login?next={quote(request.path_qs)}")
            return web.Response(status=401, text="请先登录。")
        request[STAFF] = who
    try:
        response = await handler(request)
    except (Refused, PermissionDenied) as e:
        reason = e.reason_text if isinstance(e, Refused) else e.user_text
        action = e.action if isinstance(e, Refused) else request.method.lower()
        target = e.target if isinstance(e, Refused) else request.path
        who = request.get(STAFF)
        actor = who.userid if who else "-"
        log.warning("console.refused path=%s user=%s reason=%s remote=%s", request.path, actor, reason,
                    request.remote)
        await db(request)(lambda s: audit(s, actor, action, target, "refused", reason, request.remote),
                              commit=True)
        return await render(request, "refused.html", {"reason": reason}, status=403)
    except NotFound as e:
        return await render(request, "refused.html", {"reason": e.user_text}, status=404)
    _harden(response)
    return response


def _harden(response: web.StreamResponse) -> None:
    """No framing (clickjacking), no sniffing, no full URLs (with ticket numbers) sent to map sites."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.content_type == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")


# --- login ---------------------------------------------------------------------------------------------------


async def login_form(request: web.Request) -> web.Response:
    return await render(request, "login.html", {"next": request.query.get("next", "/console/tickets"),
                                                "error": None, "userid": ""})


def _safe_next(value: str) -> str:
    return value if value.startswith("/console/") and not value.startswith("//") else "/console/tickets"


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    userid = str(form.get("userid", "")).strip()[:100]
    password = str(form.get("password", ""))[:1024]
    nxt = _safe_next(str(form.get("next", "")))
    throttle = request.app[THROTTLE]
    keys = (f"user:{userid}", f"addr:{request.remote}")
    wait = throttle.retry_after(*keys)
    if wait > 0:
        log.warning("console.login_throttled user=%s remote=%s wait=%.0f", userid, request.remote, wait)
        await db(request)(lambda s: audit(s, userid or "-", "login", "console", "refused", "throttled",
                                              request.remote), commit=True)
        return await render(request, "login.html", {
            "next": nxt, "userid": userid,
            "error": f"登录失败次数过多，请 {int(wait // 60) + 1} 分钟后再试。"}, status=429)
    member = await db(request)(lambda s: security.verify(s, userid, password))
    if member is None:
        n = throttle.failed(*keys)
        log.warning("console.login_failed user=%s remote=%s failures=%d", userid, request.remote, n)
        await db(request)(lambda s: audit(s, userid or "-", "login", "console", "refused", f"failures={n}",
                                              request.remote), commit=True)
        await asyncio.sleep(min(0.2 * n, 2.0))  # each failure answers a little slower
        return await render(request, "login.html", {"next": nxt, "userid": userid,
                                                    "error": "工号或密码不正确。"}, status=401)
    throttle.succeeded(*keys)
    session = await new_session(request)  # a fresh session id on login: no session fixation
    session["uid"] = member.userid
    await security.csrf_token(request)
    await db(request)(lambda s: audit(s, member.userid, "login", "console", "ok", None, request.remote),
                          commit=True)
    log.info("console.login user=%s remote=%s", member.userid, request.remote)
    raise web.HTTPSeeOther(nxt)


async def logout(request: web.Request) -> web.Response:
    session = await get_session(request)
    session.invalidate()
    raise web.HTTPSeeOther("/console/login")


async def home(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/console/tickets")


def console_app(config: Config) -> web.Application:
    from bot.console import announcements, board, dashboard, export, orgpage, simulator, ticket

    c = config.console
    app = web.Application()
    setup_session(app, EncryptedCookieStorage(
        security.cookie_key(c.secret_key), cookie_name="gridbot_console", httponly=True, samesite="Lax",
        secure=c.cookie_secure, max_age=int(timedelta(hours=c.session_hours).total_seconds()), path="/console/"))
    app.middlewares.append(console_middleware)
    _jinja(app)
    app[CONSOLE_CONFIG] = config
    app[THROTTLE] = security.Throttle(c.login_max_failures, c.login_lock_seconds)

    app.router.add_get("", home)
    app.router.add_get("/", home)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    board.routes(app)
    ticket.routes(app)
    dashboard.routes(app)
    export.routes(app)
    orgpage.routes(app)
    announcements.routes(app)
    if c.simulator:
        simulator.routes(app)
    app.router.add_static("/static/", HERE / "static", name="static")
    return app


def public_app(config: Config) -> web.Application:
    from bot.console import public

    app = web.Application()
    _jinja(app)
    app[CONSOLE_CONFIG] = config
    public.routes(app)
    return app
