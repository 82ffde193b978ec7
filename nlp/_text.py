"""Text normalisation shared by the classifier and the location extractor.

Messages come from WeChat-style groups: @mentions, emoji, ``[表情]`` codes,
full-width characters and voice-to-text without punctuation.  Everything is
turned into two forms:

* ``clean``: NFKC-normalised, lower-cased, mentions/emoji/sticker codes removed,
  punctuation collapsed to single spaces (used for location extraction);
* ``compact``: ``clean`` without any spaces (used for keyword matching, so that
  "充电 桩" and "充电桩" behave the same and voice-to-text equals typed text).
"""

from __future__ import annotations

import re
import unicodedata

# "@名字" up to the next space/punctuation. WeChat inserts a (thin) space after a
# mention; when it is missing we only strip up to 8 characters.
_MENTION = re.compile(r"@[^\s@,，。:：!！?？;；、]{1,8}(?:\u2005|\s|$)?")
# WeChat sticker codes such as [强] [抱拳] [捂脸] [图片]; 【转发】 survives NFKC as
# 【】 and is a meaningful marker, so it is kept.
_STICKER = re.compile(r"\[[^\[\]\s]{1,4}\]")
_EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, symbols
    "\u2600-\u27bf"  # misc symbols, dingbats
    "\u2b00-\u2bff"
    "\ufe0f\u200d\u20e3"  # variation selector, zero-width joiner, keycap
    "]+"
)
# Anything that is not a letter, digit, CJK character or '#' is punctuation.
_PUNCT = re.compile(r"[^\w#\u4e00-\u9fff]+")


def clean(text: str) -> str:
    """Return the normalised, punctuation-collapsed form of ``text``."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _MENTION.sub(" ", text)
    text = _STICKER.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    text = _PUNCT.sub(" ", text)
    return text.strip()


def has_question(text: str) -> bool:
    """True when the raw message contains a question mark (either width)."""
    return "?" in text or "？" in text


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}


def cn_to_int(token: str) -> int | None:
    """Convert an Arabic or Chinese numeral (一 .. 九十九) to an int.

    >>> cn_to_int("十二"), cn_to_int("二十"), cn_to_int("三"), cn_to_int("12")
    (12, 20, 3, 12)
    """
    if not token:
        return None
    if token.isdigit():
        return int(token)
    if "十" in token:
        head, _, tail = token.partition("十")
        if len(head) > 1 or len(tail) > 1:
            return None
        tens = _CN_DIGITS.get(head, None) if head else 1
        ones = _CN_DIGITS.get(tail, None) if tail else 0
        if tens is None or ones is None:
            return None
        return tens * 10 + ones
    if len(token) == 1:
        return _CN_DIGITS.get(token)
    # "一二" style digit-by-digit numbers (e.g. room 三零二)
    digits = [_CN_DIGITS.get(ch) for ch in token]
    if any(d is None for d in digits):
        return None
    return int("".join(str(d) for d in digits))
