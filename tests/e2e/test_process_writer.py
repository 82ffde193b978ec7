"""The process writer: handling and commits in a child process, with the same answers as the thread writer."""

from __future__ import annotations

import os
import signal

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from bot.app import PIPELINE, create_app
from conftest import Bridge, example_config
from storage.models import Inbound, Ticket


@pytest.fixture
async def pgroup(aiohttp_client, db_url, engine):
    config = example_config(storage={"url": db_url}, server={"writer": "process"},
                            outbox={"enabled": False}, scheduler={"enabled": False})
    client = await aiohttp_client(create_app(config, engine=engine))
    return Bridge(client)


def count(engine, model) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


async def test_a_report_and_its_retries_through_the_process_writer(pgroup, engine):
    first = await pgroup.say("3号楼2单元门口的充电桩坏了三天了", msg_id="p-1")
    assert first.ticket == 1 and "工单号 #1" in first.reply
    again = await pgroup.say("3号楼2单元门口的充电桩坏了三天了", msg_id="p-1")
    assert (again.reply, again.ticket) == (first.reply, first.ticket)
    assert (await pgroup.say("进度 1")).ticket == 1
    assert count(engine, Ticket) == 1 and count(engine, Inbound) == 2


async def test_a_dead_writer_process_fails_its_batch_and_is_replaced(pgroup, engine):
    assert (await pgroup.say("收到")).status == 200  # the child is up
    writer = pgroup.client.app[PIPELINE]._writer
    for pid in list(writer.executor._processes):
        os.kill(pid, signal.SIGKILL)
    said = await pgroup.say("9号楼门口的路灯坏了 晚上黑", msg_id="p-dead")
    assert said.status == 503  # nothing committed: the platform retries
    retry = await pgroup.say("9号楼门口的路灯坏了 晚上黑", msg_id="p-dead")
    assert retry.status == 200 and retry.ticket is not None
    assert count(engine, Ticket) == 1


def test_an_injected_clock_needs_the_thread_writer():
    from bot.pipeline import ProcessWriter
    from handlers.context import Services

    with pytest.raises(ValueError, match="thread writer"):
        ProcessWriter("sqlite://", Services(rules=example_config().ticket_rules(), classifier=None,
                                            clock=lambda: None))


async def test_a_photo_through_the_process_writer_is_attached_and_fetched(aiohttp_client, db_url, engine, tmp_path):
    import base64
    import json

    from bot.app import FETCHER
    from storage.models import Attachment
    from tests.media.conftest import jpeg_with_gps

    config = example_config(storage={"url": db_url}, server={"writer": "process"}, outbox={"enabled": False},
                            scheduler={"enabled": False}, attachments={"dir": str(tmp_path / "blobs")})
    client = await aiohttp_client(create_app(config, engine=engine))
    group = Bridge(client)
    n = (await group.say("3号楼门口的垃圾桶满了好几天了，没人清运", msg_id="pp-1")).ticket
    body = json.dumps({"msg_id": "pp-2", "chat_id": "bridge-quehua-1", "sender_id": "zhaomin", "text": "",
                       "attachments": [{"type": "image", "data": base64.b64encode(jpeg_with_gps()).decode()}]})
    said = await group.post(body.encode())
    assert said.ticket == n
    await client.app[FETCHER].drain()
    with Session(engine) as s:
        [a] = s.exec(select(Attachment)).all()
        assert (a.ticket_id, a.status, a.content_type) == (n, "stored", "image/jpeg")
