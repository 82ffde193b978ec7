"""The ticket life cycle as a table: which action may start from which status, and where it leads
(handlers/lifecycle.py explains the rules and applies them). Data only, so cards and the console can ask what
is allowed without importing the machinery that moves tickets."""

from __future__ import annotations

STATUSES = ("open", "accepted", "in_progress", "in_mediation", "escalated", "resolved", "closed", "reopened",
            "duplicate", "paused")
WORKING = ("accepted", "in_progress", "escalated", "reopened")  # someone holds it, nothing else is pending
OPEN = ("open", "in_mediation", *WORKING)  # being handled and not paused


def _to(target: str, *sources: str) -> dict[str, str]:
    return {s: target for s in sources}


TRANSITIONS: dict[str, dict[str, str]] = {
    "accept": _to("accepted", "open", "escalated", "reopened"),
    "note": {**_to("in_progress", *WORKING), "in_mediation": "in_mediation"},
    "transfer": _to("in_progress", "open", *WORKING),
    "escalate": _to("escalated", "open", "in_mediation", *WORKING),  # escalated → escalated: one level up
    "mediate": _to("in_mediation", *WORKING),
    "mediated": _to("in_progress", "in_mediation"),
    "follow_up": {"in_progress": "in_progress", "resolved": "resolved", "closed": "closed"},
    "resolve": _to("resolved", "in_mediation", *WORKING),
    "rate_ok": _to("closed", "resolved"),
    "rate_bad": _to("reopened", "resolved"),
    "merge": _to("duplicate", "open", "in_mediation", *WORKING),
    "recategorise": {s: s for s in STATUSES if s != "duplicate"},
    # 退单 by the lead handler, with a reason: back to whoever transferred it, else to the grid, to dispatch again
    "send_back": _to("open", *WORKING),
    "withdraw": _to("closed", *OPEN, "paused"),  # 撤回: the reporter, before it is finished
    "amend": {s: s for s in (*OPEN, "paused")},  # 补充: the reporter corrects text or place
    "relocate": {s: s for s in STATUSES if s != "duplicate"},  # 改位置: staff fix the place
    # the closed loop (handlers/loop.py)
    "pause": _to("paused", "in_mediation", *WORKING),  # 挂起: the clocks stop
    "resume": _to("in_progress", "paused"),  # 解挂: they run again, deadlines moved on by the pause
    "supervise": {s: s for s in (*OPEN, "paused")},  # 督办: a note and perhaps a new deadline
    "chase": {s: s for s in (*OPEN, "paused")},  # 催办 by the reporter
    "add_helper": {s: s for s in (*OPEN, "paused")},  # 协办
    "rate_bad_again": _to("escalated", "resolved"),  # a second 不满意: one level up, 回访 by the secretary
    "auto_close": _to("closed", "resolved"),  # no rating within the window: 默认满意 or 未评价
}

EVENT_KINDS = {
    "accept": "accepted", "note": "progress", "transfer": "transferred", "escalate": "escalated",
    "mediate": "mediation", "mediated": "mediation_result", "follow_up": "follow_up", "resolve": "resolved",
    "rate_ok": "rated", "rate_bad": "reopened", "merge": "merged", "recategorise": "recategorised",
    "send_back": "sent_back", "withdraw": "withdrawn", "amend": "amended", "relocate": "relocated",
    "pause": "paused", "resume": "resumed", "supervise": "supervised", "chase": "chased",
    "add_helper": "helper_added", "rate_bad_again": "escalated_after_rating", "auto_close": "auto_closed",
}

# The first of these by a member of staff stops the response clock (responded_at).
RESPONDING = frozenset({"accept", "note", "transfer", "escalate", "mediate", "mediated", "resolve", "pause",
                        "send_back"})
# Fields whose every change is written into the event's ``changes`` (old, new): the audit trail.
AUDITED = ("status", "due_at", "respond_due_at", "assignee", "department", "level", "category", "location",
           "grid_id", "rating", "rating_score", "paused_at", "supervised", "duplicate_of", "urgent")

assert all(s in STATUSES and t in STATUSES for m in TRANSITIONS.values() for s, t in m.items())
assert set(EVENT_KINDS) == set(TRANSITIONS)


def allowed(status: str, action: str) -> bool:
    return status in TRANSITIONS[action]
