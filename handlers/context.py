"""What a handler gets: the open transaction, the rules, the classifier and who is speaking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from handlers.messages import MENTIONS, InboundMessage
from handlers.settings import TicketRules
from nlp import Classification, Classifier
from storage.models import Grid, Member
from storage.types import utcnow


class Pending(Protocol):
    """The batch's requests waiting to be written together (handlers/intake.py ``Intake``): named by its shape
    here so that the context does not import the intake that builds on it."""

    def add(self, msg: InboundMessage, grid: Grid, c: Classification, text: str) -> Any: ...

    def flush(self) -> None: ...


@dataclass(slots=True)
class Services:
    """Long-lived, per process."""

    rules: TicketRules
    classifier: Classifier
    clock: Callable[[], datetime] = utcnow
    classifier_paths: tuple[str | None, str | None] = (None, None)  # rules, userdict: to load it elsewhere


@dataclass(slots=True)
class Context:
    """One message being handled, inside one transaction."""

    session: Session
    services: Services
    msg: InboundMessage
    inbound_id: int
    member: Member | None
    grid: Grid | None
    now: datetime = field(default_factory=utcnow)
    intake: Pending | None = None  # the batch's requests, written together; None: write each at once

    @property
    def text(self) -> str:
        """The message without leading @mentions."""
        return MENTIONS.sub("", self.msg.text).strip()

    @property
    def rules(self) -> TicketRules:
        return self.services.rules

    @property
    def actor(self) -> str:
        return self.msg.sender_id

    @property
    def role(self) -> str:
        return self.member.role if self.member else "resident"
