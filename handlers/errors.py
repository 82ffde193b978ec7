"""One exception hierarchy; each error carries the Chinese text a user sees and the HTTP status an edge maps it to."""

from __future__ import annotations


class GridbotError(Exception):
    status = 400
    user_text = "请求无法处理。"

    def __init__(self, reason: str = "", user_text: str | None = None) -> None:
        super().__init__(reason or self.__class__.__name__)
        self.reason = reason
        if user_text is not None:
            self.user_text = user_text


# --- edge: refused before anything is stored --------------------------------------------------------------


class BadSignature(GridbotError):
    status = 403
    user_text = "签名校验失败。"


class BadPayload(GridbotError):
    status = 400
    user_text = "消息格式错误。"


class PayloadTooLarge(GridbotError):
    status = 413
    user_text = "消息过大。"


# --- domain: answered in chat, nothing changed -------------------------------------------------------------


class CommandError(GridbotError):
    """A command that cannot be carried out; ``user_text`` says why, in Chinese."""


class PermissionDenied(CommandError):
    status = 403


class InvalidTransition(CommandError):
    status = 409


class NotFound(CommandError):
    status = 404


class Conflict(CommandError):
    """Someone else changed the ticket at the same moment (optimistic version check)."""

    status = 409
