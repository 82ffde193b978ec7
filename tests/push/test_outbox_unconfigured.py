"""An app push with no app credentials configured fails at once with the reason, instead of being retried."""

from __future__ import annotations

import aiohttp
import pytest

from bot.wecom_api import Permanent, WecomClient


async def test_a_client_without_a_secret_refuses_at_once_without_asking_wecom():
    async with aiohttp.ClientSession() as http:
        # port 9 (discard) would hang or refuse: the check must come before any request
        client = WecomClient(http, api_base="http://127.0.0.1:9", corp_id="ww0123456789abcdef", secret="",
                             agent_id=1000002)
        with pytest.raises(Permanent, match=r"\[wecom\] corp_id and secret are not configured"):
            await client.send_message("zhangwei", "text", {"content": "你好"})


async def test_an_app_push_without_app_credentials_is_given_up_on_its_first_try(org_engine, make_worker, fake,
                                                                                db_url):
    from sqlmodel import Session

    from storage.models import Outbox
    from tests.push.conftest import push_config
    from tests.push.test_outbox import put

    worker = make_worker(config=push_config(db_url, fake, wecom={"secret": ""}))
    (a,) = put(org_engine, ("user", "zhangwei", "转派通知"))
    await worker.drain()
    with Session(org_engine) as s:
        r = s.get(Outbox, a)
    assert r.status == "dead" and r.attempts == 1
    assert "not configured" in r.last_error
    assert fake.delivered == []  # WeCom was never asked
