"""Command parsing: commands are recognised in every documented form, sentences are not commands."""

from __future__ import annotations

import pytest

import handlers.queries  # noqa: F401
from handlers.commands import REGISTRY
from handlers.errors import CommandError


@pytest.mark.parametrize(
    "text, word, number, rest",
    [
        ("进度 12", "进度", 12, ""),
        ("进度12", "进度", 12, ""),
        ("进度 #12", "进度", 12, ""),
        ("#12 进度", "进度", 12, ""),
        ("＃12 进度", "进度", 12, ""),
        ("查询 7", "进度", 7, ""),
        ("/progress 7", "进度", 7, ""),
        ("@网格通 进度 3", "进度", 3, ""),
        ("@网格通\u2005进度 3", "进度", 3, ""),
        ("我的工单", "我的工单", None, ""),
        ("帮助", "帮助", None, ""),
        ("/help", "帮助", None, ""),
    ],
)
def test_commands_are_recognised(text, word, number, rest):
    inv = REGISTRY.parse(text)
    assert inv is not None
    assert (inv.command.word, inv.number, inv.rest) == (word, number, rest)


@pytest.mark.parametrize(
    "text", ["进度怎么样了", "帮助一下隔壁老人吧", "查询一下公交时间", "3号楼充电桩坏了", "", "@张伟 "])
def test_sentences_are_not_commands(text):
    assert REGISTRY.parse(text) is None


def test_unknown_slash_command_is_an_error_with_a_chinese_answer():
    with pytest.raises(CommandError) as e:
        REGISTRY.parse("/nonsense 1")
    assert "没有「/nonsense」这个命令" in e.value.user_text


def test_slash_command_without_number_asks_for_one():
    with pytest.raises(CommandError) as e:
        REGISTRY.parse("/progress")
    assert "工单号" in e.value.user_text


@pytest.mark.parametrize("text, hint", [
    ("接单", "「接单」要写工单号，例如「接单 12」。"),
    ("接单 abc", "「接单」要写工单号，例如「接单 12」。"),
    ("进度", "「进度」要写工单号，例如「进度 12」。"),
    ("接单 1abc", "「1abc」不是工单号：工单号只能是数字，例如「接单 12」。"),
    ("进度 1e9", "「1e9」不是工单号：工单号只能是数字，例如「进度 12」。"),
    ("办结 99999999999999999999", "没有找到工单 #99999999999999999999，请核对工单号。"),
    ("进度 2147483648", "没有找到工单 #2147483648，请核对工单号。"),
    ("#2147483648 进度", "没有找到工单 #2147483648，请核对工单号。"),
])
def test_a_bad_or_missing_ticket_number_is_refused_with_a_hint(text, hint):
    import handlers.staff  # noqa: F401

    with pytest.raises(CommandError) as e:
        REGISTRY.parse(text)
    assert e.value.user_text == hint


@pytest.mark.parametrize("text, number, rest", [
    ("进度 2147483647", 2147483647, ""),
    ("进度12已联系厂家", 12, "已联系厂家"),
    ("进度 12 已联系厂家", 12, "已联系厂家"),
])
def test_a_whole_number_token_is_the_ticket(text, number, rest):
    inv = REGISTRY.parse(text)
    assert (inv.number, inv.rest) == (number, rest)
