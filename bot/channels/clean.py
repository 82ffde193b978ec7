"""One rule for every channel: what characters an inbound message may carry into the database.

Control characters (Unicode category Cc: C0, DEL, C1) other than tab and line breaks, and lone surrogates
(which JSON's ``\\ud800`` escapes can smuggle in), cannot be stored by PostgreSQL or encoded as UTF-8, and
mean nothing to a person. In text fields (the message, the sender's name, anything else a person typed) they
are removed; in identifiers (channel, message, sender and chat ids) they are refused, since removing them
could make two ids one.
"""

from __future__ import annotations

import dataclasses
import re

from handlers.errors import BadPayload
from handlers.messages import InboundMessage

ID_FIELDS = frozenset({"channel", "msg_id", "sender_id", "chat_id"})
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` without the characters this module refuses to store (tab, CR and LF stay)."""
    return _UNSTORABLE.sub("", text) if _UNSTORABLE.search(text) else text


def clean_inbound(msg: InboundMessage) -> InboundMessage:
    """The message with its text fields cleaned; ``BadPayload`` when an id carries such a character."""
    changes = {}
    for f in dataclasses.fields(msg):
        value = getattr(msg, f.name)
        if not isinstance(value, str) or not _UNSTORABLE.search(value):
            continue
        if f.name in ID_FIELDS:
            raise BadPayload(f"{msg.channel}: {f.name} contains control characters")
        changes[f.name] = clean_text(value)
    return dataclasses.replace(msg, **changes) if changes else msg
