"""Learn keyword suggestions from people's corrections; never changes rules by itself.

A worker who re-labels a ticket produces ``(text, old_category, new_category)``.
:func:`suggest` mines jieba tokens that are frequent among the texts corrected
*to* a category, are not already one of its keywords and are not stop words,
and ranks them.  A person reviews them and pastes ``Suggestion.rule_line()``
into ``rules.txt``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from nlp.classifier import Classifier
from nlp.rules import CATEGORIES

# Function words, pronouns, dialect particles and generic verbs that never make a keyword.
STOPWORDS = frozenset(
    """
    的 了 是 在 我 你 他 她 它 我们 你们 他们 俺 俺们 咱 咱们 恁 这 那 这个 那个 哪 哪个 啥 咋 怎么 什么
    都 也 就 还 又 再 很 太 真 挺 好 不 没 没有 木有 有 和 跟 与 或 把 被 让 给 对 从 到 往 向 上 下 里
    吗 呢 吧 啊 呀 哦 嗯 哈 啦 嘛 么 着 过 个 些 点 一 一下 一个 一直 已经 现在 今天 昨天 明天 天天 每天
    能 能不能 会 要 想 说 去 来 看 找 问 请 请问 麻烦 谢谢 大家 网格员 社区 小区 村里 一点 多 少 几 好几
    得 地 之 为 为啥 因为 所以 但是 可是 然后 就是 还是 这样 那样 时候 啥时候 怎么办 中 行 事 人 家
    """.split()
)


@dataclass(frozen=True)
class Suggestion:
    """A candidate keyword for a category, with how many corrections support it."""

    category: str
    keyword: str
    support: int
    examples: tuple[str, ...]

    def rule_line(self, weight: float = 2.0) -> str:
        """A line in the rules-file format, to be pasted under ``[category]``."""
        return f"{self.keyword} = {weight:g}    # suggested from {self.support} corrections"


def suggest(
    corrections: Iterable[tuple[str, str, str]],
    classifier: Classifier,
    min_support: int = 2,
    max_examples: int = 3,
) -> list[Suggestion]:
    """Rank keyword suggestions from ``(text, old_category, new_category)`` corrections.

    Ranking: support (number of distinct corrected messages containing the token)
    descending, then how specific the token is to the target category, then the
    token itself (deterministic).
    """
    per_category: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    overall: Counter[str] = Counter()
    for text, old, new in corrections:
        if new not in CATEGORIES or new == old:
            continue
        tokens = {t for t in classifier.tokenize(text) if _is_candidate(t)}
        for tok in tokens:
            per_category[new][tok] += 1
            overall[tok] += 1
            if len(examples[(new, tok)]) < max_examples:
                examples[(new, tok)].append(text)
    out: list[Suggestion] = []
    for category, counts in per_category.items():
        known = classifier.rules.keywords_of(category)
        for tok, support in counts.items():
            if support < min_support or tok in known:
                continue
            if any(tok in kw for kw in known if len(kw) > len(tok)):
                continue  # a longer keyword already covers it
            out.append(Suggestion(category, tok, support, tuple(examples[(category, tok)])))
    out.sort(key=lambda s: (-s.support, -s.support / overall[s.keyword], s.category, s.keyword))
    return out


def _is_candidate(token: str) -> bool:
    token = token.strip()
    if len(token) < 2 or token in STOPWORDS:
        return False
    if token.isdigit() or not any("\u4e00" <= ch <= "\u9fff" for ch in token):
        return False
    return True
