"""Bot commands: a registry of small command objects, parsed from Chinese words or ``/`` aliases.

Forms accepted: ``进度 12``, ``进度12``, ``进度 #12 备注``, ``#12 进度``, ``/progress 12``, ``我的工单``.
A message that only looks like a command word in a sentence ("进度怎么样了") is not a command: it falls
through to classification. Unknown ``/words`` get an answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from handlers import texts
from handlers.context import Context
from handlers.errors import CommandError, PermissionDenied
from handlers.messages import MENTIONS, Reply

_NUM = r"[#＃]?\s*(\d{1,9})"


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
            self._compiled = re.compile(rf"^(?P<word>{alt})(?![A-Za-z])\s*(?:{_NUM})?\s*(?P<rest>.*)$", re.S)
        return self._compiled

    def parse(self, text: str) -> Invocation | None:
        """The command in ``text``, or None when it is an ordinary message."""
        text = MENTIONS.sub("", text).strip()
        if not text:
            return None
        m = re.match(r"^[#＃]\s*(\d{1,9})\s+(\S+)\s*(.*)$", text, re.S)
        if m and (cmd := self.get(m.group(2))) is not None and cmd.ticket != "none":
            return Invocation(cmd, int(m.group(1)), m.group(3).strip())
        m = self._pattern().match(text)
        if m is None:
            if text.startswith("/"):
                raise CommandError(f"unknown command {text.split()[0]}",
                                   texts.UNKNOWN_COMMAND.format(word=text.split()[0]))
            return None
        cmd = self.get(m.group("word"))
        assert cmd is not None
        if cmd.ticket == "none" and cmd.text:
            return self._with_text(cmd, m.group("word"), text[m.end("word"):])
        number = int(m.group(2)) if m.group(2) else None
        rest = m.group("rest").strip()
        if cmd.ticket == "required" and number is None:
            if cmd.word.startswith("/") or m.group("word").startswith("/"):
                raise CommandError("missing ticket number", f"请带上工单号，例如「{cmd.word} 12」。")
            return None  # "进度怎么样了" is a sentence, not a command
        if cmd.ticket == "none" and (number is not None or rest) and not m.group("word").startswith("/"):
            return None  # "帮助一下邻居…" is a sentence
        return Invocation(cmd, number, rest)

    @staticmethod
    def _with_text(cmd: Command, word: str, after: str) -> Invocation | None:
        slash = word.startswith("/")
        if after and not (slash or after[0].isspace() or after[0] in ":："):
            return None  # "资源回收站满了" is a sentence
        rest = after.lstrip(":：").strip()
        if cmd.max_text is not None and len(rest) > cmd.max_text and not slash:
            return None
        return Invocation(cmd, None, rest)

    def help_for(self, ctx: Context) -> str:
        lines = ["可用命令："]
        for c in self.commands:
            if c.summary and (c.allowed is None or c.allowed(ctx)):  # no summary: told in another's line
                lines.append(f"· {c.summary}")
                lines += [f"· {line}" for allowed, line in c.more_help if allowed(ctx)]
        lines.append("工单号可写作 12 或 #12。")
        return "\n".join(lines)


REGISTRY = Registry()
