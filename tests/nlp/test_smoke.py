"""Smoke tests of the public surface."""

from nlp import CATEGORIES, Classification, Classifier, Location, RuleError, load_classifier


def test_public_surface() -> None:
    assert list(CATEGORIES)[0] == "charging" and list(CATEGORIES)[-1] == "none"
    assert len(CATEGORIES) == 14
    assert issubclass(RuleError, ValueError)
    clf = load_classifier()
    assert isinstance(clf, Classifier)
    assert load_classifier() is clf
    result = clf.classify("@物业客服 3号楼车棚的充电桩又坏了，插上一点反应都没有")
    assert isinstance(result, Classification)
    assert result.category == "charging" and result.is_request
    assert isinstance(result.location, Location)
    data = result.as_dict("x")
    assert data["location"] == {"building": 3, "place": "车棚"}
    assert 0.0 <= data["confidence"] <= 1.0
