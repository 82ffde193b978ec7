"""Hostile input, fuzzed with Hypothesis at every endpoint: signatures, ciphertexts, padding, XML, JSON, text
with every class of Unicode character, command arguments.

For every request: the server never answers 5xx; a refusal (4xx) stores nothing and is logged with its
reason; an accepted message is stored whole, once, with only storable characters. The examples per test are
bounded (profiles in tests/reliability/conftest.py: ``dev`` locally, ``ci`` under CI=true).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import time
import uuid

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, select

from bot.app import create_app
from bot.channels.bridge import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.channels.clean import _UNSTORABLE
from conftest import BRIDGE_SECRET, example_config
from storage.models import Inbound
from tests import wecom_reference as ref
from tests.channels.wecom_platform import WecomAibotPlatform, WecomAppPlatform

FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)

# every class of character: all categories including controls, surrogates, private use, unassigned
ANY_CHAR = st.characters(exclude_categories=())
NASTY = st.sampled_from(["\x00", "\ud800", "\udfff", "\u202e", "\u2005", "\ufeff", "\uffff", "\x85", "\r\n",
                         "\U0010ffff", "\u0301", "＃", "@网格通", "]]>", "<![CDATA[", "&#0;", "\\u0000"])
TEXT = st.lists(st.one_of(st.text(ANY_CHAR, max_size=30), NASTY), max_size=8).map("".join)
XML_TEXT = TEXT.map(lambda t: t.encode("utf-8", "ignore").decode("utf-8"))  # what UTF-8 on the wire can carry
COMMANDS = st.sampled_from(["接单", "进度", "查询", "办结", "转派", "上报", "满意", "基本满意", "不满意", "改类",
                            "撤销", "群发通知", "资源", "需求", "服务", "帮助", "#", "/accept", "/progress"])
COMMAND_TEXT = st.tuples(COMMANDS, st.sampled_from(["", " ", "\u3000", "\u2005"]),
                         st.one_of(st.integers(-10, 10 ** 30).map(str), TEXT)).map("".join)
HEADER_CHAR = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")  # what HTTP carries
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(TEXT, kids, max_size=4), max_leaves=12)


class Server:
    """The app on its own loop, so that Hypothesis can drive it from a synchronous test."""

    def __init__(self, config, engine, classifier) -> None:
        self.engine = engine
        self.loop = asyncio.new_event_loop()
        self.client = TestClient(TestServer(create_app(config, engine=engine, classifier=classifier)),
                                 loop=self.loop)
        self.loop.run_until_complete(self.client.start_server())
        self.records: list[logging.LogRecord] = []
        self._handler = logging.Handler()
        self._handler.emit = self.records.append
        logging.getLogger("gridbot").addHandler(self._handler)

    def count(self) -> int:
        with Session(self.engine) as s:
            return s.exec(select(func.count()).select_from(Inbound)).one()

    def request(self, call) -> tuple[int, bytes]:
        """Make one request and check the invariants around it."""
        before = self.count()
        self.records.clear()

        async def go():
            resp = await call(self.client)
            return resp.status, await resp.read()

        status, body = self.loop.run_until_complete(go())
        after = self.count()
        assert status < 500, (status, body[:300])
        if status >= 400:
            assert after == before, "a refused request changed the database"
            refusals = [r.getMessage() for r in self.records if "request.refused" in r.getMessage()
                        or "pipeline.unstorable" in r.getMessage()]
            assert refusals and all("reason=" in m and not m.rstrip().endswith("reason=") for m in refusals), (
                status, body[:200], [r.getMessage() for r in self.records])
        else:
            assert after - before in (0, 1)
        return status, body

    def close(self) -> None:
        logging.getLogger("gridbot").removeHandler(self._handler)
        self.loop.run_until_complete(self.client.close())
        self.loop.close()


@pytest.fixture
def server(db_url, engine, classifier):
    config = example_config(storage={"url": db_url}, outbox={"enabled": False}, scheduler={"enabled": False},
                            limits={"sender_per_minute": 0, "chat_per_minute": 0})
    s = Server(config, engine, classifier)
    s.config = config
    yield s
    s.close()


def sqlite_only(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("parsing and crypto do not depend on the database: fuzzed once, on SQLite")


def bridge_post(body: bytes, signature: str | None = None, headers: dict | None = None):
    stamp = str(int(time.time()))
    hdrs = {SIGNATURE_HEADER: sign(BRIDGE_SECRET, body, stamp) if signature is None else signature,
            TIMESTAMP_HEADER: stamp} | (headers or {})
    return lambda c: c.post("/bridge/message", data=body, headers=hdrs)


def stored_row(engine, channel: str, msg_id: str) -> Inbound | None:
    with Session(engine) as s:
        return s.exec(select(Inbound).where(Inbound.channel == channel, Inbound.msg_id == msg_id)).first()


# --- the bridge ---------------------------------------------------------------------------------------------------


def test_bridge_text_names_and_ids_of_every_kind_of_character(server):
    @FUZZ
    @given(text=st.one_of(TEXT, COMMAND_TEXT), name=st.none() | TEXT, sender=st.one_of(st.just("zhangwei"), TEXT),
           chat=st.sampled_from(["bridge-quehua-1", None, "unbound-chat"]) | TEXT)
    def run(text, name, sender, chat):
        msg_id = f"fz-{uuid.uuid4().hex}"
        body = json.dumps({"msg_id": msg_id, "chat_id": chat, "sender_id": sender, "sender_name": name,
                           "text": text}).encode()
        status, _ = server.request(bridge_post(body))
        row = stored_row(server.engine, "bridge", msg_id)
        if status == 200:
            accepted.append(msg_id)
            assert row is not None and row.sender_id and row.msg_id == msg_id
            assert not _UNSTORABLE.search(row.text) and not _UNSTORABLE.search(row.sender_name or "")
        else:
            assert row is None

    accepted: list[str] = []
    run()
    assert accepted, "the fuzzing never got a message through: it tested only refusals"


def test_bridge_bodies_and_signatures(server, db_url):
    sqlite_only(db_url)

    @FUZZ
    @given(body=st.one_of(st.binary(max_size=300), JSON.map(lambda v: json.dumps(v).encode()),
                          st.integers(1, 60_000).map(lambda n: b"[" * n + b"]" * n),
                          st.dictionaries(st.sampled_from(["msg_id", "chat_id", "sender_id", "sender_name", "text",
                                                           "sent_at"]), JSON).map(lambda d: json.dumps(d).encode())),
           signature=st.none() | st.text(HEADER_CHAR, max_size=80)
           | st.sampled_from(["", "sha256=", "sha256=" + "0" * 64]))
    def run(body, signature):
        server.request(bridge_post(body, signature))

    run()


# --- WeCom: the app (XML) and the AI bot (JSON) -------------------------------------------------------------------


def test_wecom_query_strings_ciphertexts_and_padding(server, db_url):
    sqlite_only(db_url)
    app = WecomAppPlatform(server.client, server.config)
    bot = WecomAibotPlatform(server.client, server.config)

    @FUZZ
    @given(which=st.sampled_from([app, bot]),
           cipher=st.one_of(st.binary(max_size=200).map(lambda b: base64.b64encode(b).decode()),
                            st.binary(min_size=1, max_size=6).map(lambda b: (b * 32)[:32 * max(1, len(b) % 4)]).map(
                                lambda p: ref.encrypt_padded(server.config.wecom.encoding_aes_key, p)),
                            st.text(max_size=80)),
           good_signature=st.booleans(), query=st.dictionaries(st.sampled_from(
               ["msg_signature", "timestamp", "nonce", "echostr"]), st.text(max_size=40), max_size=4),
           get=st.booleans())
    def run(which, cipher, good_signature, query, get):
        params = which.query(cipher) if good_signature else {}
        params |= {} if good_signature else query
        if get:
            server.request(lambda c: c.get(which.path, params=params | {"echostr": cipher}))
            return
        body = which.envelope(cipher) if which is app else json.dumps({"encrypt": cipher})
        server.request(lambda c: c.post(which.path, data=body.encode(), params=params))

    run()


def test_wecom_app_xml_inside_a_valid_envelope(server):
    app = WecomAppPlatform(server.client, server.config)

    @FUZZ
    @given(xml=st.one_of(XML_TEXT, st.builds(lambda t, s, m: app.text_xml(t, sender=s, msg_id=m), XML_TEXT,
                                             st.sampled_from(["zhaomin", "zhangwei"]) | XML_TEXT,
                                             st.integers(0, 2 ** 70).map(str) | XML_TEXT)))
    def run(xml):
        enc, _ = app.sender.seal(xml, "0", "0")
        params = app.query(enc)
        server.request(lambda c: c.post(app.path, data=app.envelope(enc).encode(), params=params))

    run()


def test_wecom_aibot_json_inside_a_valid_envelope(server):
    bot = WecomAibotPlatform(server.client, server.config)

    def message(text, sender, msgtype, chattype):
        m = json.loads(bot.text_json("x", sender="zhaomin"))
        m["text"] = {"content": text}
        m["from"] = {"userid": sender}
        m["msgtype"] = msgtype
        m["chattype"] = chattype
        return json.dumps(m)  # ASCII escapes: lone surrogates travel as \\ud800, as JSON allows

    @FUZZ
    @given(plain=st.one_of(JSON.map(json.dumps),
                           st.builds(message, st.one_of(TEXT, COMMAND_TEXT), st.just("zhangwei") | TEXT,
                                     st.sampled_from(["text", "mixed", "image", "event", ""]) | TEXT,
                                     st.sampled_from(["group", "single"]) | TEXT)))
    def run(plain):
        enc, _ = bot.sender.seal(plain, "0", "0")
        params = bot.query(enc)
        server.request(lambda c: c.post(bot.path, data=json.dumps({"encrypt": enc}).encode(), params=params))

    run()


def test_the_fuzz_profile_is_bounded():
    from hypothesis import settings as current

    assert current().max_examples <= (int(os.environ.get("GRIDBOT_FUZZ_EXAMPLES", "0")) or 200)
