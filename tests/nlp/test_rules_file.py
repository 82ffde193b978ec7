"""Rules-file validation: every error names the file and the line."""

from pathlib import Path

import pytest

from nlp import Classifier, RuleError
from nlp.rules import parse_rules

GOOD = """# comment
[settings]
urgent_min = 3

[charging]
充电桩|冲电桩 = 3   # inline comment
电动车 + 充电 = 1.5
not 已经修好
"""


def test_valid_rules_parse() -> None:
    rs = parse_rules(GOOD, "r.txt")
    assert [r.section for r in rs.rules] == ["charging", "charging"]
    assert rs.rules[0].groups == (("充电桩", "冲电桩"),)
    assert rs.rules[1].groups == (("电动车",), ("充电",))
    assert rs.settings["urgent_min"] == 3


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("[charging]\n充电桩 = 3\n[chargin]\n", 3, "unknown category"),
        ("[charging]\n充电桩 = 3\n插座 = abc\n", 3, "bad weight"),
        ("[charging]\n\n充电桩 = -2\n", 3, "bad weight"),
        ("[waste]\n垃圾 = 1000\n", 2, "bad weight"),
        ("[waste]\n垃圾 = 0\n", 2, "bad weight"),
        ("[settings]\nurgnt_min = 3\n", 2, "unknown setting"),
        ("[settings]\nurgent_min = lots\n", 2, "bad value"),
        ("垃圾 = 1\n", 1, "before any [section]"),
        ("[waste]\n垃圾桶\n", 2, "expected 'keyword = weight'"),
        ("[waste]\n垃圾|| = 2\n", 2, "empty keyword"),
    ],
)
def test_errors_name_file_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(RuleError) as info:
        parse_rules(text, "rules.txt")
    message = str(info.value)
    assert message.startswith(f"rules.txt:{line}:"), message
    assert fragment in message


def test_from_files_reports_real_path(tmp_path: Path) -> None:
    rules = tmp_path / "bad.txt"
    rules.write_text("[charging]\n充电桩 = 3\n[parkin]\n车位 = 2\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"bad\.txt:3: unknown category or section 'parkin'"):
        Classifier.from_files(rules)


def test_bad_userdict_line(tmp_path: Path) -> None:
    userdict = tmp_path / "dict.txt"
    userdict.write_text("充电桩 100 n\n飞线充电 lots n\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"dict\.txt:2: bad frequency"):
        Classifier.from_files(None, userdict)


def test_shipped_rules_load() -> None:
    clf = Classifier.from_files()
    assert len(clf.rules.rules) > 200
