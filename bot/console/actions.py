"""One table of the console's ticket actions. Each is a chat command: the console sends it through the message
pipeline as a ``console`` message from the staff member, so the permission rule, the state table, the event and
the residents' notices are the chat's own. A new chat command (挂起, 督办 ...) joins with one line here.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers import transitions
from handlers.commands import REGISTRY
from handlers.permissions import NOTE_TAKER, Rule
from storage.models import Ticket


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text | textarea | category | number
    required: bool = False
    placeholder: str = ""


@dataclass(frozen=True, slots=True)
class Action:
    slug: str  # POST /console/tickets/{number}/{slug}
    word: str  # the chat command word
    label: str  # the button
    transition: str | None = None  # lifecycle action: offered only where the state table allows it
    field: Field | None = None  # what follows the number in the chat command
    rule: Rule | None = None  # None: the chat command's own rule
    prefix: str = ""  # put before the field's value ("到" for 合并 12 到 9)

    def permission(self) -> Rule:
        if self.rule is not None:
            return self.rule
        cmd = REGISTRY.get(self.word)
        if cmd is None or cmd.allowed is None:
            raise LookupError(f"console action {self.slug}: no chat command {self.word!r} with a rule")
        return cmd.allowed  # type: ignore[return-value]

    def possible(self, ticket: Ticket) -> bool:
        return self.transition is None or transitions.allowed(ticket.status, self.transition)

    def command_text(self, number: int, value: str) -> str:
        value = " ".join(value.split())  # one line, as typed in chat
        return f"{self.word} {number} {self.prefix}{value}".rstrip()


ACTIONS: dict[str, Action] = {a.slug: a for a in (
    Action("accept", "接单", "接单", "accept", Field("note", "备注（可选）")),
    Action("note", "进度", "添加进展", "note", Field("text", "进展内容", "textarea", True), rule=NOTE_TAKER),
    Action("transfer", "转派", "转派", "transfer", Field("target", "部门或人员", required=True,
                                                       placeholder="城管执法中队 / 工号 / 姓名")),
    Action("escalate", "上报", "上报上一级", "escalate", Field("reason", "原因")),
    Action("mediate", "调解", "转交调解", "mediate", Field("note", "说明（可选）")),
    Action("follow_up", "回访", "记录回访", "follow_up", Field("text", "回访情况", "textarea", True)),
    Action("resolve", "办结", "办结", "resolve", Field("text", "办理结果", "textarea", True)),
    Action("recategorise", "改类", "改类", "recategorise", Field("category", "新类别", "category", True)),
    Action("merge", "合并", "合并到", "merge", Field("target", "合并到工单号", "number", True), prefix="到 "),
    Action("pause", "挂起", "挂起", "pause", Field("reason", "挂起原因", required=True,
                                                 placeholder="等待居民在家时上门")),
    Action("resume", "解挂", "解挂", "resume", Field("note", "说明（可选）")),
    Action("supervise", "督办", "督办", "supervise", Field("note", "督办意见", "textarea", True,
                                                         placeholder="请本周内解决 时限 3天")),
)}
