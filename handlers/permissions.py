"""Who may do what, as small composable rules: ``HANDLER = is_role("grid_worker", "secretary") & in_scope``.

A rule answers ``deny(ctx, target)``: None when allowed, else the Chinese reason. Called with only a context
(``rule(ctx)``, the ``Command.allowed`` shape) it answers the role question alone — scope rules allow when
there is no target yet — so help lists a command to everyone whose role could use it, and the command checks
the ticket (or grid) before its body runs.

Scope: a grid worker or mediator acts on the grids they serve; a community secretary on the community's
grids; a street secretary or an admin with a street on the street's grids (an admin without one: everywhere);
a department member on tickets transferred to their department; anyone on a ticket assigned to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers import texts, wording
from handlers.context import Context
from handlers.errors import PermissionDenied
from storage import org, staff
from storage import tickets as ticket_store
from storage.models import Grid, Ticket

Target = Ticket | Grid | None
Deny = Callable[[Context, Target], str | None]


@dataclass(frozen=True, slots=True)
class Rule:
    deny: Deny
    who: str = ""  # the roles in words, for "「接单」只有网格员、书记可以使用。"

    def __call__(self, ctx: Context) -> bool:
        return self.deny(ctx, None) is None

    def __and__(self, other: Rule) -> Rule:
        return Rule(lambda c, t: self.deny(c, t) or other.deny(c, t), self.who or other.who)

    def __or__(self, other: Rule) -> Rule:
        def deny(c: Context, t: Target) -> str | None:
            if self.deny(c, t) is None:
                return None
            return other.deny(c, t)  # the second reason is the more specific one ("admin | worker & scope")

        return Rule(deny, "、".join(w for w in (self.who, other.who) if w))

    def check(self, ctx: Context, target: Target = None) -> None:
        why = self.deny(ctx, target)
        if why is not None:
            raise PermissionDenied(f"{ctx.actor} ({ctx.role}) refused on {_label(target)}", why)

    def denied_text(self) -> str:
        """``Command.denied_text`` for this rule (``{word}`` is filled in by the command)."""
        return texts.role_only("{word}", self.who or "工作人员")


def _label(target: Target) -> str:
    if isinstance(target, Ticket):
        return f"ticket {target.id}"
    if isinstance(target, Grid):
        return f"grid {target.id}"
    return "-"


def is_role(*roles: str) -> Rule:
    who = "、".join(texts.ROLE_NAMES[r] for r in roles)

    def deny(ctx: Context, _t: Target) -> str | None:
        return None if ctx.member is not None and ctx.member.role in roles else f"只有{who}可以这样做。"

    return Rule(deny, who)


def scope_grids(ctx: Context) -> set[str] | None:
    """The grids the sender is responsible for; None means every grid."""
    m = ctx.member
    if m is None:
        return set()
    memo = ctx.session.info.setdefault("scope_memo", {})
    key = (m.userid, m.role, m.grid_id, m.community_id, m.street_id)
    if key in memo:
        return memo[key]
    s = ctx.session
    if m.role in ("grid_worker", "mediator"):
        grids: set[str] | None = org.grids_served(s, m)
    elif m.role == "secretary":
        grids = (staff.grids_of_community(s, m.community_id) if m.community_id
                 else staff.grids_of_street(s, m.street_id) if m.street_id else set())
    elif m.role == "admin":
        grids = staff.grids_of_street(s, m.street_id) if m.street_id else None
    else:
        grids = set()
    memo[key] = grids
    return grids


def forget_scopes(ctx: Context) -> None:
    ctx.session.info.pop("scope_memo", None)


def _where(ctx: Context, grid_id: str) -> str:
    grid = org.grid(ctx.session, grid_id)
    return org.describe(ctx.session, grid) if grid is not None else grid_id


def _in_scope(ctx: Context, target: Target) -> str | None:
    if target is None:
        return None
    if isinstance(target, Grid):
        grids = scope_grids(ctx)
        return None if grids is None or target.id in grids else texts.grid_out_of_scope(_where(ctx, target.id))
    if target.assignee == ctx.actor:
        return None
    m = ctx.member
    if m is not None and m.role == "department":
        return None if target.department and target.department == m.department else texts.not_department(
            target.id, m.department)
    grids = scope_grids(ctx)
    if grids is None or target.grid_id in grids:
        return None
    return texts.out_of_scope(target.id, _where(ctx, target.grid_id))


in_scope = Rule(_in_scope)


def _follows(ctx: Context, target: Target) -> str | None:
    if not isinstance(target, Ticket):
        return None
    if target.reporter_id == ctx.actor or ticket_store.is_follower(ctx.session, target.id, ctx.actor):
        return None
    return texts.not_follower(target.id)


is_follower = Rule(_follows, "反映人")


def _helps(ctx: Context, target: Target) -> str | None:
    """协办 staff of the ticket (handlers/loop.py) may add notes to it."""
    if not isinstance(target, Ticket):
        return None
    from storage.models import TicketHelper

    if ctx.session.get(TicketHelper, (target.id, ctx.actor)) is not None:
        return None
    return _in_scope(ctx, target)  # the reason a non-helper is refused is the scope's


is_helper = Rule(_helps, "协办人")


def _reports(ctx: Context, target: Target) -> str | None:
    """Only the reporter rates and confirms: a "+1" follower is told the outcome and may ask for progress."""
    if not isinstance(target, Ticket) or target.reporter_id == ctx.actor:
        return None
    if ticket_store.is_follower(ctx.session, target.id, ctx.actor):
        return wording.follower_cannot_rate(target.id)
    return texts.not_follower(target.id)


is_reporter = Rule(_reports, "反映人")


def _leads(ctx: Context, target: Target) -> str | None:
    """退单: only the ticket's lead handler hands it back: the staff of the department it was transferred to,
    else the person holding it (who accepted it or got it by 转派); 协办 helpers are not the lead."""
    if not isinstance(target, Ticket):
        return None
    m = ctx.member
    if m is not None and m.role == "department":
        return None if target.department and target.department == m.department else texts.not_department(
            target.id, m.department)
    if target.assignee == ctx.actor and target.department is None:
        return None
    from storage.models import TicketHelper

    if ctx.session.get(TicketHelper, (target.id, ctx.actor)) is not None:
        return wording.helper_cannot_send_back(target.id)
    return wording.not_lead(target.id)


LEVEL_RANK = {"grid": 0, "community": 1, "street": 2}


def _holds_level(ctx: Context, target: Target) -> str | None:
    """Once a ticket is at the community or street, only that level (or above) decides to pass it up."""
    if not isinstance(target, Ticket) or target.level == "grid":
        return None
    m = ctx.member
    rank = -1
    if m is not None:
        if m.role == "secretary":
            rank = 1 if m.community_id else 2
        elif m.role == "admin":
            rank = 2
    return None if rank >= LEVEL_RANK.get(target.level, 0) else texts.level_held(target.id, target.level)


holds_level = Rule(_holds_level)

# the roles, and who may do what
STAFF = is_role("grid_worker", "mediator", "department", "secretary", "admin")
HANDLER = is_role("grid_worker", "secretary", "admin") & in_scope  # accept, transfer, escalate, mediate, ...
CLOSER = is_role("grid_worker", "mediator", "department", "secretary", "admin") & in_scope  # 办结
RETURNER = is_role("department", "grid_worker", "mediator", "secretary", "admin") & Rule(_leads)  # 退单: the lead
NOTE_TAKER = STAFF & (in_scope | is_helper)  # 进度 12 <text>; 协办 staff too
MEDIATOR = is_role("mediator") & in_scope
ESCALATOR = HANDLER & holds_level
REPORTER = is_reporter  # 满意 / 基本满意 / 不满意: the reporter only
GRID_KEEPER = is_role("admin", "grid_worker", "secretary") & in_scope  # binding chats: a street admin in its street
LIST_KEEPER = is_role("grid_worker", "secretary", "admin") & in_scope  # 添加资源 ..., on ctx.grid
