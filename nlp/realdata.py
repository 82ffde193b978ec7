"""Real-text data: the shared real corpus, its frozen evaluation split and our label fixes.

``../shared/corpus/real/train.jsonl`` (see its README) holds real messages from six sources.  This
module splits it once, by a seeded hash, stratified by source group and label:

* ``tests/data/real/eval_ids.txt`` -- the frozen evaluation split (one line key per line).  It is
  never trained or tuned on: :func:`real_train` drops these lines, and a test checks that the file
  is what :func:`split_keys` computes and that no training line is in it.
* ``tests/data/real/label_fixes.jsonl`` -- labels we corrected after reading samples, as data
  (``{"key", "text", "label", "urgent", "was", "reason"}``); applied to both splits.

A line's key is the first 16 hex digits of the SHA-1 of its text (UTF-8), stable across file order.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL_PATH = ROOT.parent / "shared/corpus/real/train.jsonl"
REAL_DIR = ROOT / "tests/data/real"
EVAL_IDS = REAL_DIR / "eval_ids.txt"
LABEL_FIXES = REAL_DIR / "label_fixes.jsonl"
SPLIT_SEED = "gridbot-real-split-1"
EVAL_SHARE = 0.25

# Source groups of the real corpus (by repository), for stratification and the source-held-out check.
GROUPS = {
    "Jincheng-Sun/CFSC": "hotline",
    "AndrewZhe/lawyer-llama": "legal-qa",
    "yong-xiong/peoples-daily-natural-gas-complaints": "board",
    "kite1988/nus-sms-corpus": "sms",
    "thu-coai/KdConv": "kdconv",
    "NOXITONG/SMP2017-ECDT-task1": "smp-chat",
}

# The operator's closing request sentence of a hotline order ("请公安局核实处理，谢谢！").
CLOSING = re.compile(
    r"[，。,；;！!\s]*(?:请|望|希望|恳请|烦请)[^，。；！？]{0,20}?"
    r"(?:核实|处理|协调|解决|调查|查处|整治|答复|回复|跟进|联系)[^。！？]{0,20}[。！!？?]?\s*$"
)
# Chatter that mentions a grid topic word (the "chit-chat with a topic word").
TOPIC_WORDS = (
    "工资", "离婚", "垃圾", "公交", "停车", "电梯", "地铁", "堵车", "房子", "物业", "邻居", "楼下", "宿舍",
    "暖气", "电动车", "车位", "水电", "房租", "老板", "外卖", "火锅", "下雨", "充电", "路灯", "噪音", "社保",
    "学校", "医院", "小区", "装修", "修", "坏", "吵", "车", "火", "水", "电", "钱",
)
COURTESY = "，谢谢"


def key(text: str) -> str:
    """Stable id of a line: 16 hex digits of the SHA-1 of its text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def group(record: dict) -> str:
    repo = record.get("source", "").split("@", 1)[0]
    return GROUPS.get(repo, repo or "unknown")


def load_real(path: Path = REAL_PATH) -> list[dict]:
    """The real corpus with our label fixes applied (each record gains ``key`` and ``group``)."""
    from nlp.evaluate import load_jsonl

    fixes = {f["key"]: f for f in load_label_fixes()}
    out = []
    for rec in load_jsonl(path):
        rec = dict(rec, key=key(rec["text"]), group=group(rec), corpus_label=rec["label"])
        fix = fixes.get(rec["key"])
        if fix is not None:
            rec["label"], rec["urgent"] = fix["label"], fix.get("urgent", rec.get("urgent"))
        out.append(rec)
    return out


def load_label_fixes(path: Path = LABEL_FIXES) -> list[dict]:
    if not path.exists():
        return []
    fixes = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for f in fixes:
        if not f.get("reason") or "label" not in f or "key" not in f:
            raise ValueError(f"label fix without key, label or reason: {f!r}")
    return fixes


def split_keys(records: Sequence[dict], share: float = EVAL_SHARE, seed: str = SPLIT_SEED) -> list[str]:
    """Keys of the evaluation split: per (source group, original label) stratum, the ``share`` of lines
    with the smallest seeded hash (at least one line of every stratum of 2+ lines)."""
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rec in records:
        strata[(group(rec), rec.get("corpus_label", rec["label"]))].append(key(rec["text"]))
    chosen: list[str] = []
    for _stratum, keys in sorted(strata.items()):
        ranked = sorted(set(keys), key=lambda k: hashlib.sha1(f"{seed}:{k}".encode()).hexdigest())
        n = round(len(ranked) * share)
        if n == 0 and len(ranked) >= 2:
            n = 1
        chosen += ranked[:n]
    return sorted(chosen)


def eval_keys(path: Path = EVAL_IDS) -> frozenset[str]:
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def write_eval_keys(keys: Iterable[str], path: Path = EVAL_IDS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{k}\n" for k in sorted(keys)), encoding="utf-8")


def real_split(records: Sequence[dict] | None = None) -> tuple[list[dict], list[dict]]:
    """(training lines, evaluation lines) of the real corpus, by the frozen ``eval_ids.txt``."""
    records = load_real() if records is None else records
    held = eval_keys()
    train = [r for r in records if r["key"] not in held]
    evaluation = [r for r in records if r["key"] in held]
    return train, evaluation


def strip_closing(text: str) -> str:
    """``text`` without a trailing operator request sentence ("…，请相关部门核实处理，谢谢！")."""
    out = CLOSING.sub("", text).rstrip("，,；; ")
    return out if len(out) >= 6 else text


_SALUTATION = re.compile(r"您好|你好|书记|领导|尊敬|市长|县长|区长")


def title_of(text: str) -> str | None:
    """A one-line title derived from a post: its first clause that is not a salutation ("尊敬的书记您好"),
    when that clause is 8-30 characters long."""
    for clause in re.split(r"[，。！？；,!?;：:\s]", text):
        clause = clause.strip()
        if clause and not _SALUTATION.search(clause):
            return clause if 8 <= len(clause) <= 30 else None
    return None
