"""End to end in a real headless Chromium (Debian's ``chromium``, driven by Playwright; no browser download):
log in, filter the board, open a ticket and act on it, read the dashboard, export, use the group simulator.

Skipped locally when /usr/bin/chromium is absent; a failure under CI=true (``.ci/run`` installs it).
With GRIDBOT_SCREENSHOTS=1 the pages are also saved to docs/screenshots/.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from conftest import ROOT
from storage.models import Ticket

CHROMIUM = os.environ.get("GRIDBOT_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = ROOT / "docs" / "screenshots"


def _need_chromium() -> None:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} missing under CI: .ci/run installs Debian's chromium", pytrace=False)
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")


@pytest.fixture
async def page(db_url):
    if db_url.startswith("postgresql"):
        pytest.skip("the browser journey runs once, on SQLite; the pages' queries are tested on both")
    _need_chromium()
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright missing under CI (pip install -e '.[test]')", pytrace=False)
        pytest.skip("playwright not installed")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        context = await browser.new_context(viewport={"width": 1360, "height": 860}, locale="zh-CN",
                                            accept_downloads=True)
        pg = await context.new_page()
        pg.set_default_timeout(15_000)
        yield pg
        await context.close()
        await browser.close()


async def shot(pg, name: str) -> None:
    if os.environ.get("GRIDBOT_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        await pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


async def test_a_secretary_and_a_worker_at_the_desk(page, console, group, engine, tmp_path):
    base = str(console.make_url("")).rstrip("/")
    reports = ["3号楼2单元门口的充电桩坏了三天了", "小区东门垃圾桶满了没人清理，臭得很",
               "5号楼楼道灯坏了，晚上看不见", "地下车库有人乱停车把消防通道堵了", "8号楼北面的充电桩也坏了，充不上电"]
    numbers = [(await group.say(t, name="赵敏")).ticket for t in reports]
    await group.say(f"接单 {numbers[1]}", sender="zhangwei")

    # log in
    await page.goto(f"{base}/console/tickets")
    assert "/console/login" in page.url
    await shot(page, "login")
    await page.fill("input[name=userid]", "zhangwei")
    await page.fill("input[name=password]", "correct-horse-9")
    await page.click("button[type=submit]")
    await page.wait_for_url("**/console/tickets")
    assert await page.locator("table.board tbody tr").count() == 5

    # filter the board: Chinese search
    await page.fill("input[name=q]", "充电桩")
    await page.click("form#filters button[type=submit]")
    await page.wait_for_url("**q=*")
    rows = page.locator("table.board tbody tr")
    assert await rows.count() == 2
    await shot(page, "board")

    # open a ticket and accept it
    await page.click(f"text=#{numbers[0]}")
    await page.wait_for_url(f"**/console/tickets/{numbers[0]}")
    assert "3号楼2单元门口的充电桩坏了三天了" in await page.inner_text(".ticket-text")
    await page.click("form[data-action=accept] button")
    await page.wait_for_selector(".flash")
    assert "接单" in await page.inner_text(".flash")
    with Session(engine) as s:
        assert s.get(Ticket, numbers[0]).status == "accepted"
    await page.fill("form[data-action=resolve] textarea", "已联系物业更换充电桩")
    await page.click("form[data-action=resolve] button")
    await page.wait_for_selector(".flash")
    with Session(engine) as s:
        assert s.get(Ticket, numbers[0]).status == "resolved"
    await shot(page, "ticket")

    # the dashboard draws its charts
    await page.goto(f"{base}/console/dashboard")
    await page.wait_for_selector("body[data-charts=ready]")
    assert await page.locator("#chart-daily canvas").count() == 1
    assert "解决率" in await page.inner_text(".rates")
    await shot(page, "dashboard")

    # export the board's filter
    await page.goto(f"{base}/console/tickets?q=充电桩")
    async with page.expect_download() as info:
        await page.click("text=Excel")
    download = await info.value
    path = tmp_path / "export.xlsx"
    await download.save_as(str(path))
    rows = list(load_workbook(io.BytesIO(path.read_bytes())).active.values)
    assert len(rows) == 3 and rows[0][0] == "工单号"

    # the public board of an opted-in community, without logging in
    await page.goto(f"{base}/public/quehua")
    assert "群众诉求办理公开" in await page.inner_text("h1")
    assert "赵敏" not in await page.content()
    await shot(page, "public")


async def test_the_admin_tries_the_bot_in_the_group_simulator(page, console, engine):
    base = str(console.make_url("")).rstrip("/")
    await page.goto(f"{base}/console/login")
    await page.fill("input[name=userid]", "admin")
    await page.fill("input[name=password]", "correct-horse-9")
    await page.click("button[type=submit]")
    await page.wait_for_url("**/console/tickets")
    await page.click("text=群聊模拟")
    await page.wait_for_url("**/console/simulator")
    await page.select_option("#chat", "bridge-quehua-1")
    await page.select_option("#sender", "zhaomin")
    await page.fill("#text", "3号楼2单元门口的充电桩坏了三天了")
    await page.click("#say button")
    reply = page.locator(".bubble.reply").first
    await reply.wait_for()
    assert "工单号 #1" in await reply.inner_text()
    await page.select_option("#sender", "zhangwei")
    await page.fill("#text", "接单 1")
    await page.click("#say button")
    push = page.locator(".bubble.push", has_text="已由网格员 张伟接单")
    await push.first.wait_for()
    await shot(page, "simulator")
    await page.click("text=组织架构")
    await page.wait_for_url("**/console/org")
    assert "鹊华理想社区" in await page.inner_text("main")
    await shot(page, "org")
