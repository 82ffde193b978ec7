"""Parser and validator for the line-based rules file (``nlp/data/rules.txt``).

Format (one entry per line, ``#`` starts a comment)::

    [charging]                 # a section: a category code or a special section
    充电桩|冲电桩 = 3            # keyword (alternatives separated by |) = weight
    电动车|电瓶车 + 楼道 + 充 = 5  # co-occurrence: every part must appear
    not 已经修好|修好了          # exclusion: the section scores 0 when present
    not 车棚 + 插座             # exclusion with co-occurrence: all parts must appear
    已经|刚 > 修好|好了 = 4      # ordered: the second part starts within ``near_window``
                                # characters after the end of the first (chains: A > B > C)

Special sections:

* ``[synonyms]``  ``typo|variant = canonical`` rewrites applied before matching;
* ``[none]``      evidence that a message is *not* a request (thanks, notices, ads);
* ``[request]``   evidence that a message *is* a request (能不能, 找谁, 咋整 ...);
* ``[urgent]``    triggers for present danger;
* ``[settings]``  numeric thresholds (see ``SETTINGS``).

Any error raises :class:`RuleError` whose message names the file and line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from nlp._text import clean

CATEGORIES: dict[str, str] = {
    "charging": "充电设施",
    "waste": "垃圾清运",
    "parking": "停车管理",
    "roads": "道路与公共设施",
    "transport": "公交出行",
    "utilities": "水电气暖",
    "property": "物业服务",
    "environment": "环境卫生与噪音",
    "safety": "安全隐患",
    "dispute": "矛盾纠纷",
    "legal": "法律咨询",
    "policy": "政策咨询与民生服务",
    "other": "其他诉求",
    "none": "非诉求",
}

SCORED_SECTIONS = tuple(CATEGORIES) + ("request", "urgent")
SPECIAL_SECTIONS = ("synonyms", "settings")

# Setting name -> (default, minimum, maximum)
SETTINGS: dict[str, tuple[float, float, float]] = {
    "request_min": (2.0, 0.0, 20.0),  # category score + request score needed for a ticket
    "other_min": (2.0, 0.0, 20.0),  # request score needed for `other` without any category
    "precedence_min": (4.0, 0.0, 50.0),  # safety/dispute score that overrides a higher score
    "urgent_min": (3.0, 0.0, 50.0),  # urgent-trigger score that makes a ticket urgent
    "none_factor": (1.0, 0.1, 10.0),  # none wins when none*factor >= request + topic_weight*category
    "topic_weight": (0.5, 0.0, 5.0),
    "topic_cap": (6.0, 0.0, 50.0),  # category evidence counted against "not a request" is capped
    "confidence_scale": (4.0, 0.5, 50.0),  # score at which confidence reaches ~63 %
    "near_window": (6.0, 0.0, 40.0),  # max characters between the parts of an ``A > B`` chain
}

MAX_WEIGHT = 20.0
_COMMENT = re.compile(r"\s#")


class RuleError(ValueError):
    """A rules or user-dictionary file is invalid; the message names file and line."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One weighted entry: every group must match (a group matches when any alternative does)."""

    section: str
    groups: tuple[tuple[str, ...], ...]
    weight: float
    line: int
    # Ordered "A > B" parts: each chain is a tuple of indices into ``groups`` whose
    # matches must follow each other closely (see ``near_window``).
    chains: tuple[tuple[int, ...], ...] = ()

    @property
    def label(self) -> str:
        """Human-readable form used in ``Classification.keywords``."""
        chained = {i for chain in self.chains for i in chain[1:]}
        out = ""
        for i, group in enumerate(self.groups):
            if i:
                out += ">" if i in chained else "+"
            out += group[0]
        return out


@dataclass(slots=True)
class RuleSet:
    """Parsed rules, ready to be compiled by the classifier."""

    path: str
    rules: list[Rule] = field(default_factory=list)
    # section -> exclusions, each ``(groups, chains)`` like a rule's
    exclusions: dict[
        str, list[tuple[tuple[tuple[str, ...], ...], tuple[tuple[int, ...], ...]]]
    ] = field(default_factory=dict)
    synonyms: list[tuple[str, str]] = field(default_factory=list)
    settings: dict[str, float] = field(default_factory=dict)

    def keywords_of(self, section: str) -> set[str]:
        """All literal strings used by the rules of one section."""
        return {alt for r in self.rules if r.section == section for g in r.groups for alt in g}


def _norm_literal(raw: str) -> str:
    """Literals are normalised exactly like message text (compact form)."""
    return clean(raw).replace(" ", "")


def _alternatives(raw: str, where: str) -> tuple[str, ...]:
    alts = tuple(_norm_literal(a) for a in raw.split("|"))
    if not alts or any(not a for a in alts):
        raise RuleError(f"{where}: empty keyword in {raw.strip()!r}")
    return alts


def _weight(raw: str, where: str, what: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise RuleError(f"{where}: bad weight {raw.strip()!r} for {what!r}: not a number") from None
    if not math.isfinite(value) or value <= 0 or value > MAX_WEIGHT:
        raise RuleError(
            f"{where}: bad weight {raw.strip()!r} for {what!r}: must be > 0 and <= {MAX_WEIGHT:g}"
        )
    return value


def _parts(raw: str, where: str) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[int, ...], ...]]:
    """``"A|B + C > D"`` -> groups ``((A, B), (C,), (D,))`` and chains ``((1, 2),)``."""
    groups: list[tuple[str, ...]] = []
    chains: list[tuple[int, ...]] = []
    for part in raw.split("+"):
        steps = part.split(">")
        start = len(groups)
        for step in steps:
            groups.append(_alternatives(step, where))
        if len(steps) > 1:
            chains.append(tuple(range(start, len(groups))))
    return tuple(groups), tuple(chains)


def parse_rules(text: str, path: str = "<rules>") -> RuleSet:
    """Parse the rules file content; ``path`` is only used in error messages."""
    rs = RuleSet(path=path, settings={k: v[0] for k, v in SETTINGS.items()})
    section: str | None = None
    for lineno, raw_line in enumerate(text.splitlines(), start=1):
        where = f"{path}:{lineno}"
        # '#' starts a comment at the start of a line or after whitespace
        # (so a literal such as "3#楼" stays usable).
        line = "" if raw_line.lstrip().startswith("#") else _COMMENT.split(raw_line, 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise RuleError(f"{where}: malformed section header {line!r}")
            name = line[1:-1].strip()
            if name not in SCORED_SECTIONS and name not in SPECIAL_SECTIONS:
                raise RuleError(
                    f"{where}: unknown category or section {name!r} "
                    f"(expected one of {', '.join(SCORED_SECTIONS + SPECIAL_SECTIONS)})"
                )
            section = name
            continue
        if section is None:
            raise RuleError(f"{where}: entry before any [section] header")
        if line.startswith("not ") or line.startswith("not\t"):
            if section in SPECIAL_SECTIONS:
                raise RuleError(f"{where}: 'not' is not allowed in [{section}]")
            rs.exclusions.setdefault(section, []).append(_parts(line[4:], where))
            continue
        if "=" not in line:
            raise RuleError(f"{where}: expected 'keyword = weight', got {line!r}")
        key, _, value = (part.strip() for part in line.rpartition("="))
        if not key:
            raise RuleError(f"{where}: missing keyword before '='")
        if section == "settings":
            if key not in SETTINGS:
                raise RuleError(
                    f"{where}: unknown setting {key!r} (known: {', '.join(SETTINGS)})"
                )
            _, lo, hi = SETTINGS[key]
            try:
                number = float(value)
            except ValueError:
                raise RuleError(f"{where}: bad value {value!r} for setting {key!r}") from None
            if not (lo <= number <= hi):
                raise RuleError(f"{where}: setting {key!r}={value} out of range [{lo:g}, {hi:g}]")
            rs.settings[key] = number
            continue
        if section == "synonyms":
            target = _norm_literal(value)
            if not target:
                raise RuleError(f"{where}: empty synonym target")
            for alt in _alternatives(key, where):
                if alt != target:
                    rs.synonyms.append((alt, target))
            continue
        groups, chains = _parts(key, where)
        rs.rules.append(Rule(section, groups, _weight(value, where, key), lineno, chains))
    # Longer variants first so that "冲电桩" is rewritten before a shorter "冲电".
    rs.synonyms.sort(key=lambda pair: -len(pair[0]))
    return rs


def load_rules(path: Path) -> RuleSet:
    """Read and parse a rules file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"{path}: cannot read rules file: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise RuleError(f"{path}: rules file is not UTF-8: {exc}") from exc
    return parse_rules(text, str(path))


def check_userdict(path: Path) -> list[str]:
    """Validate a jieba user dictionary (``word [freq] [tag]`` per line); return its words."""
    words: list[str] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: cannot read user dictionary: {exc}") from exc
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) > 3:
            raise RuleError(f"{path}:{lineno}: expected 'word [freq] [tag]', got {line!r}")
        if len(parts) >= 2 and not parts[1].isdigit():
            raise RuleError(f"{path}:{lineno}: bad frequency {parts[1]!r} for {parts[0]!r}")
        words.append(parts[0])
    return words
