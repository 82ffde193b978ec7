"""Bot commands: a registry of small command objects, parsed from Chinese words or ``/`` aliases.

Forms accepted: ``进度 12``, ``进度12``, ``进度 #12 备注``, ``#12 进度``, ``/progress 12``, ``我的工单``.
A message that only looks like a command word in a sentence ("进度怎么样了") is not a command: it falls
through to classification. Unknown ``/words`` get an answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from handlers import texts, wording
from handlers.context import Context
from handlers.errors import CommandError, PermissionDenied
from handlers.messages import MENTIONS, Reply

MAX_NUMBER = 2**31 - 1  # ticket numbers are 32-bit integers in the database

# After a command word: a ticket number as a whole token ("12", "#12", "12" glued to the word), or a
# token that looks like one but is not ("1abc", "1e9"): refused with a hint rather than read as #1.
_NUMBER_TOKEN = re.compile(r"^[#＃]?\s*(\d+)$")
_LOOKS_NUMERIC = re.compile(r"^[#＃]?\s*\d")


@dataclass(frozen=True, slots=True)
class Invocation:
    command: Command
    number: int | None
    rest: str


Permission = Callable[[Context], bool]


@dataclass(frozen=True, slots=True)
class Command:
    word: str  # the Chinese command word shown in help
    run: Callable[[Context, Invocation], Reply]
    summary: str  # one line of help, Chinese
    aliases: tuple[str, ...] = ()  # other words, including "/english" aliases
    ticket: str = "none"  # "none": no number | "required" | "optional"
    allowed: Permission | None = None  # None: anyone
    denied_text: str = "您没有使用「{word}」的权限。"
    # A command without a ticket number that takes free text ("资源 药店", "绑定网格 quehua-1"): the text must
    # be set off by a space or colon, and a longer text than ``max_text`` is a sentence, not a command.
    text: bool = False
    max_text: int | None = None
    more_help: tuple[tuple[Permission, str], ...] = ()  # extra help lines for those the permission allows

    @property
    def words(self) -> tuple[str, ...]:
        return (self.word, *self.aliases)

    def check(self, ctx: Context) -> None:
        if self.allowed is not None and not self.allowed(ctx):
            raise PermissionDenied(f"{ctx.actor} may not {self.word}", self.denied_text.format(word=self.word))


@dataclass(slots=True)
class Registry:
    commands: list[Command] = field(default_factory=list)
    _by_word: dict[str, Command] = field(default_factory=dict)
    _compiled: re.Pattern[str] | None = None

    def add(self, command: Command) -> Command:
        for w in command.words:
            if w in self._by_word:
                raise ValueError(f"command word {w!r} registered twice")
            self._by_word[w] = command
        self.commands.append(command)
        self._compiled = None
        return command

    def get(self, word: str) -> Command | None:
        return self._by_word.get(word) or self._by_word.get(word.lower())

    def _pattern(self) -> re.Pattern[str]:
        """One regex over every command word, longest first; built once (every message is parsed)."""
        if self._compiled is None:
            words = sorted(self._by_word, key=len, reverse=True)
            alt = "|".join(re.escape(w) for w in words)
            self._compiled = re.compile(rf"^(?P<word>{alt})(?![A-Za-z])(?P<after>.*)$", re.S)
        return self._compiled

    def parse(self, text: str) -> Invocation | None:
        """The command in ``text``, or None when it is an ordinary message.

        A ticket number is a whole token: ``接单 1abc``, ``进度 1e9`` and ``接单 abc`` are refused with a
        line saying how to write it (``CommandError``), never read as #1. A command word standing alone
        (``接单``, ``进度``) is a command without its number: answered the same way.
        """
        text = MENTIONS.sub("", text).strip()
        if not text:
            return None
        m = re.match(r"^[#＃]\s*(\d+)\s+(\S+)\s*(.*)$", text, re.S)
        if m and (cmd := self.get(m.group(2))) is not None and cmd.ticket != "none":
            return Invocation(cmd, _number(cmd, m.group(1)), m.group(3).strip())
        m = self._pattern().match(text)
        if m is None:
            if text.startswith("/"):
                raise CommandError(f"unknown command {text.split()[0]}",
                                   texts.UNKNOWN_COMMAND.format(word=text.split()[0]))
            return None
        word = m.group("word")
        cmd = self.get(word)
        assert cmd is not None
        after = m.group("after")
        slash = word.startswith("/")
        if cmd.ticket == "none" and cmd.text:
            return self._with_text(cmd, word, after)
        if cmd.ticket == "none":
            if after.strip() and not slash:
                return None  # "帮助一下邻居…" is a sentence
            return Invocation(cmd, None, after.strip())
        spaced = not after or after[0].isspace() or slash
        stripped = after.strip()
        if not stripped:
            if cmd.ticket == "required":
                raise CommandError(f"{cmd.word}: missing ticket number", wording.missing_number(cmd.word))
            return Invocation(cmd, None, "")
        token, _, rest = stripped.partition(" ") if spaced else _glued(stripped)
        if _NUMBER_TOKEN.match(token):
            return Invocation(cmd, _number(cmd, _NUMBER_TOKEN.match(token).group(1)), rest.strip())
        if not spaced and not _LOOKS_NUMERIC.match(stripped):
            return None  # "进度怎么样了" is a sentence, not a command
        if _LOOKS_NUMERIC.match(token):
            raise CommandError(f"{cmd.word}: bad ticket number {token!r}", wording.bad_number(cmd.word, token))
        if cmd.ticket == "optional":
            return Invocation(cmd, None, stripped)
        raise CommandError(f"{cmd.word}: no ticket number in {token!r}", wording.missing_number(cmd.word))

    @staticmethod
    def _with_text(cmd: Command, word: str, after: str) -> Invocation | None:
        slash = word.startswith("/")
        if after and not (slash or after[0].isspace() or after[0] in ":："):
            return None  # "资源回收站满了" is a sentence
        rest = after.lstrip(":：").strip()
        if cmd.max_text is not None and len(rest) > cmd.max_text and not slash:
            return None
        return Invocation(cmd, None, rest)

    def parse_quietly(self, text: str) -> Invocation | None:
        """``parse`` for looking back at stored messages: a malformed command is still a command."""
        try:
            return self.parse(text)
        except CommandError:
            return self.get(text.split()[0]) if text.split() else None

    def help_for(self, ctx: Context) -> str:
        lines = ["可用命令："]
        rank = {word: i for i, word in enumerate(texts.HELP_ORDER)}
        for c in sorted(self.commands, key=lambda c: rank.get(c.word, len(rank))):  # stable: the rest as added
            if c.summary and (c.allowed is None or c.allowed(ctx)):  # no summary: told in another's line
                lines.append(f"· {c.summary}")
                lines += [f"· {line}" for allowed, line in c.more_help if allowed(ctx)]
        lines.append("工单号可写作 12 或 #12。")
        return "\n".join(lines)


def _glued(after: str) -> tuple[str, str, str]:
    """"12 已联系" → ("12", " ", "已联系"); "12abc" → ("12abc", "", ""): the token runs to the next space."""
    token, sep, rest = after.partition(" ")
    m = re.match(r"^([#＃]?\s*\d+)([\u4e00-\u9fff，。,].*)$", token)
    if m:  # "进度12已联系厂家": the number ends where the Chinese begins
        return m.group(1), " ", m.group(2) + sep + rest
    return token, sep, rest


def _number(cmd: Command, digits: str) -> int:
    n = int(digits)
    if n > MAX_NUMBER or n == 0:
        raise CommandError(f"{cmd.word}: ticket number {digits} out of range", wording.number_too_large(digits))
    return n


REGISTRY = Registry()
