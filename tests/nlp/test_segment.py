"""nlp.segment: jieba's own segmentation (HMM off), loaded from a faster cache and cut in one pass."""

from pathlib import Path

import jieba
import pytest

from nlp.classifier import DEFAULT_USERDICT, Classifier
from nlp.evaluate import load_jsonl
from nlp.segment import Segmenter, _read_cache, _write_cache
from tests.conftest import SHARED

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def pair() -> tuple[Segmenter, jieba.Tokenizer]:
    tok = jieba.Tokenizer()
    tok.initialize()
    tok.load_userdict(str(DEFAULT_USERDICT))
    return Segmenter(DEFAULT_USERDICT), tok


def _texts() -> list[str]:
    texts = [r["text"] for p in sorted(DATA.glob("*.jsonl")) for r in load_jsonl(p)]
    real = SHARED / "corpus/real/train.jsonl"
    if real.exists():
        texts += [r["text"] for r in load_jsonl(real)]
    return texts


def test_same_words_as_jieba_on_every_corpus_line(pair) -> None:
    seg, tok = pair
    clf = Classifier.from_files(use_model=False)
    odd = ["", " ", "abc12 3号楼", "ｗｉｆｉ坏了!!", "a-b_c.d%e", "\r\n换行\t制表", "|完成了|开头致谢", "😀🔥着火了"]
    for text in odd + _texts():
        for form in (text, clf.normalise(text)):
            assert seg.lcut(form) == tok.lcut(form, HMM=False), form


def test_cache_round_trip_and_corruption(tmp_path: Path) -> None:
    path = tmp_path / "c.bin"
    freq = {"充电": 5, "充": 0, "桩": 3}
    _write_cache(path, freq, 8)
    assert _read_cache(path) == (freq, 8)
    path.write_bytes(path.read_bytes()[:-2])  # a truncated word list: not trusted
    assert _read_cache(path) is None
    path.write_bytes(b"junk")
    assert _read_cache(path) is None
    assert _read_cache(tmp_path / "missing.bin") is None
