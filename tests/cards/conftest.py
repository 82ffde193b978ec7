"""Card fixtures: the app on a fake WeCom (callbacks in, API out), its outbox drained by hand with a test clock."""

from __future__ import annotations

import pytest

from tests.channels.wecom_platform import WecomAppPlatform
from tests.push.conftest import clock, fake, http, make_worker, org_engine, push_config, worker  # noqa: F401


@pytest.fixture
def pconfig(db_url, fake):  # noqa: F811
    return push_config(db_url, fake, outbox={"enabled": False}, scheduler={"enabled": False})


@pytest.fixture
async def app_client(aiohttp_client, pconfig, org_engine, classifier):  # noqa: F811
    from bot.app import create_app

    return await aiohttp_client(create_app(pconfig, engine=org_engine, classifier=classifier))


@pytest.fixture
def wecom(app_client, pconfig) -> WecomAppPlatform:
    return WecomAppPlatform(app_client, pconfig)
