"""Asking instead of guessing: a vague request gets one question, and the answer completes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from bot.orgsync import sync_org
from conftest import example_config
from handlers.context import Services
from handlers.messages import InboundMessage
from handlers.router import handle, handle_batch
from nlp import Classification, Location
from storage.models import Clarification, Correction, Ticket

VAGUE = "楼下那个东西又不行了 有人管没"


class ScriptedClassifier:
    """Known answers for the texts these tests use; the real classifier's rules are tested in tests/nlp."""

    def __init__(self, real) -> None:
        self.real = real

    def classify(self, text: str) -> Classification:
        if text == VAGUE:
            return Classification("property", False, ("不行了",), Location(building=3), 0.3)
        return self.real.classify(text)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def say(engine, classifier):
    config = example_config()
    clock = Clock()
    services = Services(rules=config.ticket_rules(), classifier=ScriptedClassifier(classifier), clock=clock)
    with Session(engine) as s:
        sync_org(s, config.org)
        s.commit()
    n = iter(range(1, 1000))

    def say(text: str, sender: str = "r1"):
        with Session(engine) as s:
            reply = handle(s, InboundMessage("bridge", f"c{next(n)}", sender, text, clock.now, "bridge-quehua-1"),
                           services)
            s.commit()
        return reply

    say.clock = clock
    return say


def tickets(engine) -> list[Ticket]:
    with Session(engine) as s:
        return list(s.exec(select(Ticket)).all())


def test_a_vague_request_gets_a_question_not_a_ticket(say, engine):
    reply = say(VAGUE)
    assert reply.ticket is None and "物业服务" in reply.text and "回复「是」" in reply.text
    assert tickets(engine) == []


def test_yes_opens_the_guessed_ticket(say, engine):
    say(VAGUE)
    reply = say("是的")
    assert reply.ticket is not None and "物业服务" in reply.text
    (t,) = tickets(engine)
    assert (t.category, t.text) == ("property", VAGUE)


def test_naming_a_category_opens_that_one(say, engine):
    say(VAGUE)
    reply = say("环境卫生")
    assert reply.ticket is not None
    assert tickets(engine)[0].category == "environment"


def test_no_drops_it(say, engine):
    say(VAGUE)
    assert say("不是").text == "好的，已取消，这条消息不作为诉求登记。"
    assert tickets(engine) == []
    assert say("谢谢").text is None  # and the question is over


def corrections(engine) -> list[tuple]:
    with Session(engine) as s:
        return [(c.ticket_id, c.text, c.old_category, c.new_category, c.actor)
                for c in s.exec(select(Correction).order_by(Correction.id)).all()]


def test_a_residents_no_and_named_category_are_labelled_examples(say, engine):
    # what `gridbot nlp train --corrections` learns from (and `gridbot rules suggest` mines)
    say(VAGUE, sender="r1")
    say("不是", sender="r1")
    say(VAGUE, sender="r2")
    say("环境卫生", sender="r2")
    say(VAGUE, sender="r3")
    say("是的", sender="r3")  # a confirmation teaches nothing new: no row
    assert corrections(engine) == [(None, VAGUE, "property", "none", "r1"),
                                   (None, VAGUE, "property", "environment", "r2")]


def test_more_detail_completes_it(say, engine):
    say(VAGUE)
    reply = say("就是3号楼的充电桩 插上没反应")
    assert reply.ticket is not None
    (t,) = tickets(engine)
    assert t.category == "charging" and VAGUE in t.text


def test_only_the_asked_person_answers_and_the_question_expires(say, engine):
    say(VAGUE, sender="r1")
    assert say("是", sender="someone-else").text is None
    say.clock.now += timedelta(minutes=31)
    assert say("是", sender="r1").text is None
    assert tickets(engine) == []
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Clarification)).one() == 1


def test_question_and_answer_in_one_batch(engine, classifier):
    config = example_config()
    services = Services(rules=config.ticket_rules(), classifier=ScriptedClassifier(classifier))
    now = datetime.now(UTC)
    with Session(engine) as s:
        sync_org(s, config.org)
        replies = handle_batch(s, [
            InboundMessage("bridge", "q1", "r9", VAGUE, now, "bridge-quehua-1"),
            InboundMessage("bridge", "q2", "r9", "是", now, "bridge-quehua-1"),
            InboundMessage("bridge", "q3", "r8", "进度 1", now, "bridge-quehua-1"),
        ], services)
        s.commit()
    assert replies[0].ticket is None and replies[1].ticket == 1
    assert "工单 #1" in replies[2].text


def test_places_keep_the_residents_order():
    from handlers.intake import place_text
    from nlp import load_classifier

    clf = load_classifier()
    for text, place in (("7号楼楼道里着火了 冒黑烟", "7号楼楼道"), ("楼道里7号楼的灯坏了", "楼道7号楼"),
                        ("3号楼2单元门口的充电桩坏了三天了", "3号楼2单元")):
        assert place_text(clf.classify(text), text) == place, text


@pytest.mark.parametrize("text", ["电梯", "那个东西又坏了"])
def test_a_single_word_or_a_fragment_gets_the_one_question_with_likely_choices(say, engine, text):
    reply = say(text)
    assert reply.ticket is None and tickets(engine) == []
    assert "1 " in reply.text and "2 " in reply.text and "哪方面" in reply.text
    reply = say("2")  # the second choice
    assert reply.ticket is not None


def test_the_question_reads_naturally_and_offers_the_guess_first(say):
    reply = say("电梯")
    assert reply.text.startswith("收到「电梯」。想确认一下，您反映的是哪方面的问题：1 物业服务")


def test_a_vague_breakage_the_classifier_leans_to_chatter_on_is_asked_and_yes_files_it_as_other(say, engine):
    reply = say("那个东西又坏了")
    assert reply.text is not None and "哪方面" in reply.text
    reply = say("是")
    assert reply.ticket is not None
    assert [t.category for t in tickets(engine)] == ["other"]  # never a ticket of category `none`


def test_vague_chatter_without_a_breakage_stays_silent(say, engine):
    assert say("这个东西真好吃").text is None and tickets(engine) == []


def test_an_answer_that_is_a_whole_request_decides_category_and_place_alone(say, engine):
    """"电梯" then a full report about something else: no place read across the two ("电梯小区")."""
    assert say("电梯").ticket is None
    reply = say("小区东门口建筑垃圾堆了一个月没人清运，麻烦尽快处理")
    assert reply.ticket is not None
    (t,) = tickets(engine)
    assert t.category == "waste" and t.location == "g:东门"  # the answer's place, not one across both messages
    assert t.text.startswith("电梯") and "建筑垃圾" in t.text  # both messages stay on the ticket


def test_a_long_message_about_something_else_is_no_answer_and_files_nothing(say, engine):
    assert say("电梯").ticket is None
    assert say("今天晚上社区广场的舞蹈队几点开始跳啊大家").text is None
    assert tickets(engine) == []
    reply = say("是")  # the question is still open: the resident can still answer it
    assert reply.ticket is not None


def test_a_place_alone_completes_the_question_with_that_place(say, engine):
    say(VAGUE)
    reply = say("在7号楼")
    assert reply.ticket is not None
    (t,) = tickets(engine)
    assert t.location == "b7"  # the location key: building 7


def test_a_subjectless_breakage_is_asked_unless_surely_chatter():
    from handlers.clarify import unsure_fragment
    from nlp import load_classifier

    clf = load_classifier()
    assert unsure_fragment("又坏了", clf.classify("又坏了"), 0.5) is not None  # which thing? ask
    for chat in ("我手机又坏了哈哈", "好困 怎么办"):  # sure chatter, or no breakage: silence
        assert unsure_fragment(chat, clf.classify(chat), 0.5) is None, chat
