"""JSON from strangers: refuse deep nesting before the parser recurses into it.

``json.loads`` recurses once per level; 100,000 nested brackets end in a RecursionError deep in the parser
(and a 500). No payload a platform sends nests more than a few levels, so a body is refused when its
brackets (outside strings) nest deeper than ``MAX_DEPTH``. The check is one ``bytes.count`` for nearly every
body; only a body with many brackets is scanned in full.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from handlers.errors import BadPayload

MAX_DEPTH = 32
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def depth(text: str) -> int:
    """How deep the brackets outside JSON strings nest (an unbalanced text counts as it opens)."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    return max(accumulate(1 if c in "[{" else -1 for c in brackets), default=0)


def loads(data: bytes | str, what: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``data``; ``BadPayload`` naming ``what`` when it is not JSON or nests deeper than ``max_depth``."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    except UnicodeDecodeError as e:
        raise BadPayload(f"{what} is not UTF-8: {e}") from None
    if text.count("[") + text.count("{") > max_depth and depth(text) > max_depth:
        raise BadPayload(f"{what} nests deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise BadPayload(f"{what} is not JSON: {e}") from None
