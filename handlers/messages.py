"""The one inbound type every channel adapter produces, and the one reply type it renders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

# Leading "@网格通 " / "@张三\u2005" mentions: WeChat puts a four-per-em space after a mention.
MENTIONS = re.compile(r"^\s*(?:@[^\s\u2005@]+[\s\u2005]*)+")


ATTACHMENT_KINDS = ("image", "voice", "video", "file", "link")


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a message carries, as the platform names it; the bytes are fetched after the message is stored.

    ``source`` says how to get them: "wecom_media" (``ref`` is a media id for the media API), "url" (``ref``
    is an http(s) URL), "aibot_url" (``ref`` is a URL of a file encrypted with the AI bot's key; ``aes_key``
    a per-message key when the platform gives one), "inline" (``data`` holds the bytes, e.g. bridge base64),
    "none" (a link: nothing to download, ``ref`` is the URL).
    """

    kind: str  # image | voice | video | file | link
    source: str  # wecom_media | url | aibot_url | inline | none
    ref: str = ""
    name: str | None = None
    size: int | None = None  # as declared by the sender, if at all
    data: bytes | None = None
    aes_key: str | None = None
    format: str | None = None  # e.g. the app's voice Format "amr"


@dataclass(frozen=True, slots=True)
class Pin:
    """A location pin: coordinates as the platform gives them (WeCom: GCJ-02) and its label."""

    lat: float
    lng: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class CardAction:
    """A press on an interactive card (WeCom ``template_card_event``, app or AI bot): which card, which button,
    what was chosen. ``response_code`` (app) lets the card be updated once; the AI bot updates by its reply."""

    task_id: str
    event_key: str
    card_type: str = ""
    response_code: str | None = None
    selected: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (question key, option ids)


@dataclass(frozen=True, slots=True)
class InboundMessage:
    channel: str  # "wecom_app" | "wecom_aibot" | "bridge"
    msg_id: str  # the platform's id: a retry carries the same one
    sender_id: str
    text: str
    sent_at: datetime  # aware
    chat_id: str | None = None  # None for a 1:1 conversation with the app
    sender_name: str | None = None
    attachments: tuple[Attachment, ...] = ()
    location: Pin | None = None
    card: CardAction | None = None  # a card press: ``text`` is then only its key, for the record
    reply_url: str | None = None  # the AI bot's response_url: one later answer into this conversation

    @property
    def has_evidence(self) -> bool:
        return bool(self.attachments) or self.location is not None

    @property
    def key(self) -> tuple[str, str]:
        return (self.channel, self.msg_id)


@dataclass(frozen=True, slots=True)
class Reply:
    text: str | None  # None: say nothing (the bot never spams a group)
    ticket: int | None = None
    # A card a channel may show instead of ``text`` (the AI bot's template_card; see handlers/cards.py for the
    # shape): channels that cannot show cards send ``text``. A platform retry gets the stored text only.
    card: dict | None = None

    @classmethod
    def silent(cls) -> Reply:
        return cls(None, None)
