"""The learned model: features, deterministic training and export, the shipped file, the combination."""

from pathlib import Path

import pytest

from nlp import Classification, Location, load_classifier
from nlp.classifier import DEFAULT_MODEL, REQUEST_THRESHOLD, Classifier
from nlp.evaluate import load_jsonl
from nlp.learned import LinearModel, Scores, data_hash, features
from nlp.train import CORRECTIONS, augment, export_corrections, load_pool, load_training, rules_hash, rules_only, train
from tests.conftest import shared_file

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def rules() -> Classifier:
    return rules_only()


@pytest.fixture(scope="module")
def small() -> list[dict]:
    # a deterministic subset with every kind of line: grid-style messages and urgent ones
    import random

    return random.Random(9).sample(load_jsonl(DATA / "train.jsonl"), 200) + load_jsonl(DATA / "train3.jsonl")[:30]


def test_features_are_char_ngrams_words_and_the_rules_view() -> None:
    feats = features("今晚吃火锅", ["今晚", "吃", "火锅"], False, ("none", 0.0, 0.0, 0.0))
    assert {"火", "火锅", "^今", "锅$", "w:火锅", "b:吃_火锅", "r:none", "rn:0", "rq:0", "ru:0"} <= feats
    assert "w:火" not in feats  # word features follow jieba's boundaries: 火锅 is not 火
    assert "<?>" in features("咋办", ["咋办"], True, ("other", 0.0, 2.0, 0.0))


def test_digits_are_folded() -> None:
    view = ("roads", 0.0, 0.0, 0.0)
    assert features("12号楼", ["12", "号楼"], False, view) == features("47号楼", ["47", "号楼"], False, view)


def test_training_is_deterministic_and_round_trips(rules: Classifier, small: list[dict], tmp_path: Path) -> None:
    first = train(small, rules).to_bytes()
    assert first == train(small, rules).to_bytes()  # byte-identical, the code path of `gridbot nlp train`
    path = tmp_path / "model.bin"
    path.write_bytes(first)
    loaded = LinearModel.load(path)
    assert loaded.to_bytes() == first
    assert loaded.meta["data_sha256"] == data_hash(small)
    feats, _ = rules.features("车棚的充电桩坏了 插上没反应")
    s = loaded.score(feats)
    assert set(s.category) == set(loaded.categories) and sum(s.category.values()) == pytest.approx(1.0)


def test_model_file_is_not_something_else(tmp_path: Path) -> None:
    bad = tmp_path / "model.bin"
    bad.write_bytes(b'{"format": "other"}')
    with pytest.raises(ValueError):
        LinearModel.load(bad)
    good = train(load_jsonl(DATA / "train.jsonl")[:40], rules_only()).to_bytes()
    bad.write_bytes(good[:-3])
    with pytest.raises(ValueError, match="truncated"):
        LinearModel.load(bad)


def test_courtesy_augmentation_keeps_labels() -> None:
    recs = [{"text": f"路灯坏了{i}", "label": "roads", "urgent": False} for i in range(50)]
    out = augment(recs)
    assert out[:50] == recs and len(out) > 50
    assert all(r["label"] == "roads" and r["text"].startswith("路灯坏了") for r in out)
    assert augment(recs) == out


@pytest.mark.parametrize("name", [f"heldout{n}.jsonl" for n in (3, 4, 5, 6, 7)])
def test_heldouts_are_never_trained_on(name: str) -> None:
    with pytest.raises(ValueError):
        load_pool([DATA / "train.jsonl", DATA / name])


def test_shipped_model_was_trained_on_the_data_in_the_repo() -> None:
    shared_file("corpus/real/train.jsonl")  # the training data includes ../shared: skipped without it, failed in CI
    model = LinearModel.load(DEFAULT_MODEL)
    # `gridbot nlp train` after editing the data, the label fixes or rules.txt keeps this green
    assert model.meta["data_sha256"] == data_hash(load_training()), "retrain: gridbot nlp train"
    assert model.meta["rules_sha256"] == rules_hash(), "rules.txt changed: retrain (gridbot nlp train)"
    assert DEFAULT_MODEL.stat().st_size < 4 * 1024 * 1024


def test_no_evaluation_line_is_trained_on() -> None:
    shared_file("corpus/real/train.jsonl")
    from nlp.realdata import eval_keys, key

    held = eval_keys()
    assert not any(key(r["text"]) in held for r in load_training())


def test_shipped_classifier_uses_the_model() -> None:
    assert load_classifier().model is not None
    assert Classifier.from_files(use_model=False).model is None


def _scores(request: float, urgent: float, probs: dict[str, float]) -> Scores:
    import math

    cats = load_classifier().model.categories
    return Scores(request, urgent, [math.log(probs.get(c, 1e-9)) for c in cats], cats, [])


def test_the_urgent_head_vetoes_the_rules_danger_only_when_sure_in_a_clear_request() -> None:
    from nlp.classifier import URGENT_VETO, URGENT_VETO_REQUEST, URGENT_VETO_SURE

    clf = load_classifier()
    danger = Classification("safety", True, ("炸了+液化气",), Location(), 0.6)
    between = (URGENT_VETO + URGENT_VETO_SURE) / 2  # unsure: below the plain veto, above the sure one
    assert clf._combine(danger, _scores(URGENT_VETO_REQUEST + 1, between, {"safety": 1.0})).urgent
    assert not clf._combine(danger, _scores(URGENT_VETO_REQUEST - 1, between, {"safety": 1.0})).urgent
    assert not clf._combine(danger, _scores(URGENT_VETO_REQUEST + 1, URGENT_VETO_SURE - 1, {"safety": 1.0})).urgent


def test_combination() -> None:
    clf = load_classifier()
    urgent = Classification("safety", True, ("煤气味",), Location(), 0.6)
    # the rules' danger survives a doubting request head; only both heads sure of chatter veto it
    assert clf._combine(urgent, _scores(-20.0, 2.0, {"safety": 1.0})).category == "safety"
    assert clf._combine(urgent, _scores(-2.0, -20.0, {"safety": 1.0})).category == "safety"
    assert clf._combine(urgent, _scores(-20.0, -20.0, {"safety": 1.0})).category == "none"
    plain = Classification("property", False, ("电梯",), Location(), 0.6)
    assert clf._combine(plain, _scores(-20.0, -20.0, {"property": 1.0})).category == "none"
    kept = clf._combine(plain, _scores(5.0, 5.0, {"property": 0.5, "roads": 0.5}))
    assert (kept.category, kept.keywords, kept.urgent) == ("property", ("电梯",), True)  # rules' words shown
    moved = clf._combine(plain, _scores(5.0, -5.0, {"property": 0.1, "roads": 0.9}))
    assert moved.category == "roads"
    # sure of a request, unsure of the category: `other`, opened without a question (confidence high)
    unsure = clf._combine(plain, _scores(6.0, -5.0, {"property": 0.05, "roads": 0.3, "waste": 0.3, "policy": 0.35}))
    assert unsure.category == "other" and unsure.confidence >= 0.5
    # unsure between request and chatter (just above the ticket threshold): low confidence, the bot asks
    doubtful = clf._combine(plain, _scores(REQUEST_THRESHOLD + 0.2, -5.0, {"property": 0.9}))
    assert doubtful.is_request and doubtful.confidence < 0.5
    assert clf._combine(plain, _scores(REQUEST_THRESHOLD - 0.2, -5.0, {"property": 0.9})).category == "none"
    assert clf._combine(plain, _scores(REQUEST_THRESHOLD + 3.0, -5.0, {"property": 0.9})).confidence > 0.8
    chatter = Classification("none", False, (), Location(), 0.8)
    promoted = clf._combine(chatter, _scores(-20.0, 20.0, {"safety": 1.0}))
    assert (promoted.category, promoted.urgent) == ("safety", True)
    invented = clf._combine(chatter, _scores(8.0, -5.0, {"parking": 0.9}))
    assert invented.category == "parking"  # the model can open a ticket the rules missed ...
    assert invented.keywords == ()  # ... and shows the words that weighed most (none in this synthetic case)


def test_corrections_export_merges_and_sorts(tmp_path: Path) -> None:
    path = tmp_path / "corrections.jsonl"
    assert export_corrections([("b路灯坏了", "roads"), ("a车位被占", "parking")], path) == 2
    assert export_corrections([("b路灯坏了", "none"), ("bogus", "nonsense")], path) == 2
    lines = load_jsonl(path)
    assert lines == [{"text": "a车位被占", "label": "parking", "urgent": False},
                     {"text": "b路灯坏了", "label": "none", "urgent": False}]
    assert CORRECTIONS.name == "corrections.jsonl"
