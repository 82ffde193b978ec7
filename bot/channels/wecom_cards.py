"""WeCom template cards (模板卡片), both ways: a card described by handlers/cards.py rendered as WeCom takes it, and
a ``template_card_event`` read into the ``CardAction`` every channel hands the handlers.

Pure functions on dicts, no I/O: the app's sender, the AI bot's callback and its long-connection mode all use them.

Payloads, from the official pages (developer.work.weixin.qq.com):
- 发送应用消息 · 模板卡片消息 (document/path/90236, 90372): ``msgtype: template_card``; ``button_interaction``
  needs ``main_title`` and ``button_list`` (1–6 buttons of ``text``, ``style`` 1–4, ``key``); ``vote_interaction``
  needs ``checkbox`` (``question_key``, ``option_list`` of ``id``/``text``, ``mode`` 0 single) and
  ``submit_button``; ``task_id`` (unique per app, digits, letters and ``_-@``, ≤128 bytes) for cards that call back.
  The answer carries ``msgid`` and, for cards that call back, ``response_code``.
- 模板卡片事件推送 (document/path/90376, "模板卡片事件推送"): ``Event`` template_card_event with ``EventKey``,
  ``TaskId``, ``CardType``, ``ResponseCode``, ``AgentID`` and for vote / multiple cards ``SelectedItems`` →
  ``SelectedItem`` → ``QuestionKey``, ``OptionIds`` → ``OptionId``.
- 更新模版卡片消息 (document/path/94888; 94945 for third-party apps): ``message/update_template_card`` with
  ``userids``, ``agentid``, ``response_code`` (one use, within its validity: 72 hours today, 24 in older pages)
  and ``button.replace_name`` (buttons become one unclickable label) or a whole new ``template_card``.
- 智能机器人 模板卡片类型 (document/path/101032), 接收事件 (101027: ``msgtype`` event, ``event.eventtype``
  template_card_event, ``event.template_card_event`` with ``card_type``, ``event_key``, ``task_id``,
  ``selected_items.selected_item[]`` of ``question_key`` and ``option_ids.option_id[]``), 被动回复消息 (101031:
  ``msgtype: template_card`` answering a message; ``response_type: update_template_card`` answering an event).
"""

from __future__ import annotations

from typing import Any

from handlers.errors import BadPayload
from handlers.messages import CardAction

MAX_TASK_ID, MAX_KEY = 128, 1024
_TASK_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-@")
CARD_TYPES = ("text_notice", "news_notice", "button_interaction", "vote_interaction", "multiple_interaction")


def render(spec: dict, *, source: str = "网格通") -> dict:
    """The WeCom ``template_card`` object for a card described by handlers/cards.py."""
    card: dict[str, Any] = {
        "card_type": spec["type"], "source": {"desc": source},
        "main_title": {"title": spec["title"][:36], **({"desc": spec["desc"][:44]} if spec.get("desc") else {})},
        "task_id": spec["task_id"],
    }
    if spec.get("text"):
        card["quote_area"] = {"type": 0, "quote_text": spec["text"]}
    if spec.get("fields"):
        card["horizontal_content_list"] = [{"keyname": k[:5], "value": str(v)[:30]} for k, v in spec["fields"][:6]]
    if spec["type"] == "button_interaction":
        card["button_list"] = [{"text": b["text"][:10], "style": b.get("style", 1), "key": b["key"]}
                               for b in spec["buttons"][:6]]
    elif spec["type"] == "vote_interaction":
        card["checkbox"] = {"question_key": spec["question"], "mode": 0,
                            "option_list": [{"id": o["id"], "text": o["text"], "is_checked": False}
                                            for o in spec["options"][:20]]}
        card["submit_button"] = {"text": spec["submit"]["text"], "key": spec["submit"]["key"]}
    return card


def valid_task_id(task_id: str) -> bool:
    return 0 < len(task_id.encode()) <= MAX_TASK_ID and set(task_id) <= _TASK_CHARS


def _text(value: Any, what: str, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise BadPayload(f"template_card_event: {what} missing or too long")
    return value.strip()


def _as_list(value: Any) -> list:
    """XML turned into dicts keeps one child of a repeated tag; JSON gives lists: both read as lists."""
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def app_event(data: dict[str, Any], selected: list[tuple[str, tuple[str, ...]]]) -> CardAction:
    """The app's event (its XML as a dict; ``selected`` read from the XML, where tags repeat)."""
    card_type = str(data.get("CardType") or "")
    if card_type not in CARD_TYPES:
        raise BadPayload("template_card_event: CardType missing or unknown")
    code = data.get("ResponseCode")
    return CardAction(task_id=_text(data.get("TaskId"), "TaskId", MAX_TASK_ID),
                      event_key=_text(data.get("EventKey"), "EventKey", MAX_KEY), card_type=card_type,
                      response_code=code.strip() if isinstance(code, str) and code.strip() else None,
                      selected=tuple(selected))


def aibot_event(event: dict[str, Any]) -> CardAction:
    """The AI bot's ``event.template_card_event`` object (JSON, callback or long connection alike)."""
    body = event.get("template_card_event")
    if not isinstance(body, dict):
        raise BadPayload("template_card_event: event.template_card_event missing")
    card_type = str(body.get("card_type") or "")
    if card_type not in CARD_TYPES:
        raise BadPayload("template_card_event: card_type missing or unknown")
    items = body.get("selected_items")
    selected = []
    for item in _as_list(items.get("selected_item") if isinstance(items, dict) else None):
        if isinstance(item, dict) and isinstance(item.get("question_key"), str):
            ids = item.get("option_ids")
            options = _as_list(ids.get("option_id") if isinstance(ids, dict) else None)
            selected.append((item["question_key"], tuple(str(o) for o in options if isinstance(o, str))))
    return CardAction(task_id=_text(body.get("task_id"), "task_id", MAX_TASK_ID),
                      event_key=_text(body.get("event_key"), "event_key", MAX_KEY), card_type=card_type,
                      selected=tuple(selected))


def aibot_answer(spec: dict) -> dict:
    """The AI bot's passive answer to a message with a card (instead of a stream)."""
    return {"msgtype": "template_card", "template_card": render(spec)}


def aibot_update(spec: dict) -> dict:
    """The AI bot's passive answer to a card event: the card replaced in place for the one who pressed."""
    return {"response_type": "update_template_card", "template_card": render(spec)}
