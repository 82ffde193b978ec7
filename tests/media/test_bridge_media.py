"""Photos, voice and pins through the bridge: the attach rules, the checks on the bytes, and who may see them.

A resident in the bridged group of grid quehua-1 reports, sends a photo (by URL the bot fetches from a server
on loopback, or inline as base64), a pin; grid worker 张伟 resolves with a photo of the result."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from handlers import links
from handlers import texts_media as tm
from storage.media import has_gps
from tests.conftest import GROUP
from tests.media.conftest import LINK_SECRET, PUBLIC, amr, jpeg_with_gps, media_config, png

REPORT = "3号楼门口的垃圾桶满了好几天了，没人清运"


async def send(group, *, sender="zhaomin", text="", attachments=(), location=None, chat_id=GROUP, msg_id=None):
    body = {"msg_id": msg_id or f"b-{uuid.uuid4().hex[:10]}", "chat_id": chat_id, "sender_id": sender,
            "sender_name": {"zhaomin": "赵敏", "zhangwei": "张伟"}.get(sender, sender), "text": text,
            "sent_at": "2026-12-03T10:00:00+08:00"}
    if attachments:
        body["attachments"] = list(attachments)
    if location:
        body["location"] = location
    return await group.post(json.dumps(body, ensure_ascii=False).encode())


def inline(data: bytes, kind: str = "image", **kw) -> dict:
    return {"type": kind, "data": base64.b64encode(data).decode(), **kw}


def ticket_of(said) -> int:
    m = re.search(r"#(\d+)", said.reply or "")
    assert m, said.reply
    return int(m.group(1))


# --- attach, don't guess ------------------------------------------------------------------------------------


async def test_a_photo_after_the_request_attaches_to_it_and_is_kept_without_gps(mgroup, fake, fetcher, rows,
                                                                                  blobs):
    photo = jpeg_with_gps()
    assert has_gps(photo)
    url = fake.serve_file("bin.jpg", photo, "image/jpeg")
    n = ticket_of(await send(mgroup, text=REPORT))
    said = await send(mgroup, attachments=[{"type": "image", "url": url, "name": "bin.jpg", "size": len(photo)}])
    assert said.status == 200 and said.ticket == n
    assert said.reply == tm.attached(n, ["image"])
    [a] = rows.attachments()
    assert (a.ticket_id, a.role, a.kind) == (n, "evidence", "image")  # fetched after the answer
    await fetcher.drain()
    [a] = rows.attachments()
    assert (a.status, a.content_type) == ("stored", "image/jpeg")
    kept = blobs.get(a.sha256)
    assert not has_gps(kept) and kept != photo and a.size == len(kept)
    import io

    from PIL import Image
    assert Image.open(io.BytesIO(kept)).size == (64, 48)


async def test_photos_before_the_text_wait_for_it_with_one_question(mgroup, rows, fetcher):
    first = await send(mgroup, attachments=[inline(jpeg_with_gps())])
    assert first.reply == tm.WAITING_FOR_TEXT and first.ticket is None
    second = await send(mgroup, attachments=[inline(png())])
    assert second.reply is None  # one question per run of photos, not one per photo
    said = await send(mgroup, text=REPORT)
    n = ticket_of(said)
    assert tm.earlier_attached_note(["image", "image"]) in said.reply
    assert [a.ticket_id for a in rows.attachments()] == [n, n]
    await fetcher.drain()
    assert {a.content_type for a in rows.attachments()} == {"image/jpeg", "image/png"}


async def test_a_photo_alone_gets_the_clarifying_question_and_attaches_to_nothing(mgroup, rows):
    said = await send(mgroup, attachments=[inline(jpeg_with_gps())])
    assert said.reply == tm.WAITING_FOR_TEXT
    [a] = rows.attachments()
    assert a.ticket_id is None
    # chatter is no request: it takes nothing
    chat = await send(mgroup, text="今天天气不错")
    assert chat.reply is None
    assert rows.attachments()[0].ticket_id is None


async def test_two_people_interleaved_each_photo_goes_to_its_senders_ticket(mgroup, rows):
    a = ticket_of(await send(mgroup, sender="zhaomin", text=REPORT))
    b = ticket_of(await send(mgroup, sender="wangwu", text="5号楼楼道里的灯坏了，晚上一片漆黑"))
    assert a != b
    pa = await send(mgroup, sender="zhaomin", attachments=[inline(jpeg_with_gps((1, 2, 3)))])
    pb = await send(mgroup, sender="wangwu", attachments=[inline(jpeg_with_gps((9, 9, 9)))])
    assert (pa.ticket, pb.ticket) == (a, b)
    assert {(x.sender_id, x.ticket_id) for x in rows.attachments()} == {("zhaomin", a), ("bridge:wangwu", b)}


async def test_a_request_with_its_photo_in_one_message_attaches_and_says_so(mgroup, rows):
    said = await send(mgroup, text=REPORT, attachments=[inline(jpeg_with_gps())])
    n = ticket_of(said)
    assert "工单号 #" in said.reply and tm.attached_note(["image"]) in said.reply
    assert rows.attachments()[0].ticket_id == n


async def test_a_photo_sent_twice_is_stored_once(mgroup, rows, fetcher, tmp_path):
    ticket_of(await send(mgroup, text=REPORT))
    photo = jpeg_with_gps()
    await send(mgroup, attachments=[inline(photo)])
    await send(mgroup, attachments=[inline(photo)])
    await fetcher.drain()
    first, second = rows.attachments()
    assert first.sha256 == second.sha256
    files = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert len(files) == 1


async def test_a_platform_retry_stores_the_attachment_once(mgroup, rows):
    ticket_of(await send(mgroup, text=REPORT))
    answers = [await send(mgroup, attachments=[inline(png())], msg_id="photo-retry") for _ in range(3)]
    assert len({a.reply for a in answers}) == 1
    assert len(rows.attachments()) == 1


# --- a pin ----------------------------------------------------------------------------------------------------


async def test_a_pin_after_the_request_sets_the_place_and_staff_see_a_map(mgroup, rows, engine):
    n = ticket_of(await send(mgroup, text="小区北门的路灯坏了一个星期了"))
    said = await send(mgroup, location={"lat": 36.6707, "lng": 117.0248, "label": "鹊华理想社区北门"})
    assert said.ticket == n and "位置" in said.reply
    t = rows.ticket(n)
    assert (t.place_label, round(t.latitude, 4), round(t.longitude, 4)) == ("鹊华理想社区北门", 36.6707, 117.0248)
    worker = await mgroup.say(f"附件 {n}", sender="zhangwei")
    assert "https://uri.amap.com/marker?position=117.024800,36.670700" in worker.reply
    # a second pin does not move a place once it is set
    await send(mgroup, location={"lat": 1.0, "lng": 2.0, "label": "别处"})
    assert rows.ticket(n).place_label == "鹊华理想社区北门"


async def test_a_pin_first_waits_for_the_request(mgroup, rows):
    await send(mgroup, location={"lat": 36.67, "lng": 117.02, "label": "3号楼"})
    n = ticket_of(await send(mgroup, text=REPORT))
    assert rows.ticket(n).place_label == "3号楼"


# --- size and type ----------------------------------------------------------------------------------------------


async def test_a_declared_size_over_the_limit_is_refused_at_once(mgroup, rows, fake):
    ticket_of(await send(mgroup, text=REPORT))
    url = fake.serve_file("big.mp4", b"x" * 10, "video/mp4")
    said = await send(mgroup, attachments=[{"type": "video", "url": url, "size": 500 * 1024 * 1024}])
    assert said.reply == tm.refused("too_large", "video", 20 * 1024 * 1024)
    assert "超过 20.0 MB 的上限" in said.reply
    [a] = rows.attachments()
    assert a.status == "refused"


async def test_bytes_over_the_limit_or_of_a_wrong_type_are_refused_in_chinese(aiohttp_client, db_url, fake,
                                                                             tmp_path, engine, classifier):
    from bot.app import FETCHER, create_app
    from tests.conftest import Bridge
    from tests.media.conftest import Rows

    cfg = media_config(db_url, fake, tmp_path, attachments={"max_image_mb": 0.001})
    client = await aiohttp_client(create_app(cfg, engine=engine, classifier=classifier))
    group, r = Bridge(client), Rows(engine)
    ticket_of(await send(group, text=REPORT))
    big = jpeg_with_gps(size=(400, 300))
    assert len(big) > 1024
    url = fake.serve_file("big.jpg", big, "image/jpeg")
    said = await send(group, attachments=[{"type": "image", "url": url}])  # size not declared: known on download
    assert said.reply == tm.attached(said.ticket, ["image"])
    elf = b"\x7fELF\x02\x01\x01" + b"\0" * 200
    await send(group, attachments=[inline(elf, "file", name="报告.pdf")])  # the name lies; the bytes do not
    await send(group, attachments=[inline(b"just some words, not a picture", "image")])
    await client.server.app[FETCHER].drain()
    statuses = [(a.kind, a.status, (a.reason or "").split(":")[0]) for a in r.attachments()]
    assert statuses == [("image", "refused", "too_large"), ("file", "refused", "bad_type"),
                        ("image", "refused", "bad_type")]
    told = [o.body["content"] for o in r.outbox() if o.target_kind == "bridge"]
    assert tm.refused("too_large", "image", 1048) in told
    assert tm.refused("bad_type", "file") in told and tm.refused("bad_type", "image") in told
    assert all(o.body.get("mentioned_list") == ["zhaomin"] for o in r.outbox() if o.target_kind == "bridge")


async def test_bad_base64_or_both_url_and_data_is_a_400_and_nothing_is_stored(mgroup, rows):
    for att in ({"type": "image", "data": "%%%not base64"}, {"type": "image", "url": "http://x/a", "data": "AAAA"},
                {"type": "image"}, {"type": "sticker", "data": "AAAA"}, {"type": "image", "url": "ftp://x/a"}):
        said = await send(mgroup, attachments=[att])
        assert said.status == 400, att
    assert (await send(mgroup, location={"lat": 91, "lng": 0})).status == 400
    assert rows.attachments() == []


async def test_a_voice_message_is_kept_as_amr(mgroup, rows, fetcher):
    n = ticket_of(await send(mgroup, text=REPORT))
    await send(mgroup, attachments=[inline(amr(1.5), "voice", name="语音.amr")])
    await fetcher.drain()
    [a] = rows.attachments()
    assert (a.ticket_id, a.status, a.content_type) == (n, "stored", "audio/amr")


# --- who may see them --------------------------------------------------------------------------------------------


async def _stored_photo(mgroup, fetcher, rows) -> tuple[int, int]:
    n = ticket_of(await send(mgroup, text=REPORT))
    await send(mgroup, attachments=[inline(jpeg_with_gps())])
    await fetcher.drain()
    return n, rows.attachments()[-1].id


def _path(link: str) -> str:
    assert link.startswith(PUBLIC + "/files/")
    return link[len(PUBLIC):]


async def test_the_reporter_and_staff_in_scope_get_working_links(mgroup, mclient, fetcher, rows, blobs):
    n, att = await _stored_photo(mgroup, fetcher, rows)
    for who in ("zhaomin", "zhangwei", "wangfang"):  # reporter, grid worker, community secretary
        said = await mgroup.say(f"附件 {n}", sender=who)
        [link] = re.findall(r"http://gridbot\.test/files/\S+", said.reply)
        resp = await mclient.get(_path(link))
        assert resp.status == 200, who
        assert resp.headers["Content-Type"] == "image/jpeg"
        assert resp.headers["Cache-Control"] == "private, no-store"
        assert await resp.read() == blobs.get(rows.attachments()[0].sha256)


async def test_others_get_no_link_and_a_link_made_for_them_does_not_open(mgroup, mclient, fetcher, rows):
    n, att = await _stored_photo(mgroup, fetcher, rows)
    now = datetime.now(UTC)
    for who in ("wangwu", "liuqiang"):  # a neighbour; a grid worker of another grid
        said = await mgroup.say(f"附件 {n}", sender=who)
        assert said.reply == tm.NOT_ALLOWED.format(number=n)
        tok = links.token(LINK_SECRET, att, who, now + timedelta(minutes=5))
        assert (await mclient.get(f"/files/{tok}")).status == 403, who


async def test_a_changed_forged_or_expired_link_is_refused(mgroup, mclient, fetcher, rows):
    n, att = await _stored_photo(mgroup, fetcher, rows)
    now = datetime.now(UTC)
    good = links.token(LINK_SECRET, att, "zhaomin", now + timedelta(minutes=5))
    assert (await mclient.get(f"/files/{good}")).status == 200
    payload, sig = good.split(".")
    other = links.token(LINK_SECRET, att + 1, "zhaomin", now + timedelta(minutes=5)).split(".")[0]
    forged = links.token("guessed-secret", att, "zhaomin", now + timedelta(minutes=5))
    expired = links.token(LINK_SECRET, att, "zhaomin", now - timedelta(seconds=1))
    for tok in (f"{other}.{sig}", forged, expired, "garbage", f"{payload}."):
        assert (await mclient.get(f"/files/{tok}")).status == 403, tok
    assert (await mclient.get(f"/files/{att}")).status == 403  # no guessable paths


# --- 办结 with a photo --------------------------------------------------------------------------------------------


async def test_a_workers_photo_after_banjie_is_the_result_and_reaches_the_reporter(mgroup, mclient, fetcher, rows,
                                                                                   engine, fake, mconfig, blobs):
    n = ticket_of(await send(mgroup, text=REPORT))
    assert (await mgroup.say(f"接单 {n}", sender="zhangwei")).status == 200
    assert "已办结" in (await mgroup.say(f"办结 {n} 已清运", sender="zhangwei")).reply
    said = await send(mgroup, sender="zhangwei", attachments=[inline(jpeg_with_gps((10, 200, 10)))])
    assert said.reply == tm.result_attached(n, ["image"])
    await fetcher.drain()
    [a] = rows.attachments()
    assert (a.role, a.status) == ("result", "stored")
    # the bridge group gets the notice with the photo as an outbound attachment; the robot (quehua-1's) does not
    # apply to a bridged chat
    images = [o for o in rows.outbox() if o.msgtype == "image"]
    assert len(images) == 1 and images[0].target_kind == "bridge" and images[0].body["blob"] == a.sha256
    import aiohttp

    from bot.outbox_worker import build_worker
    async with aiohttp.ClientSession() as http:
        worker = build_worker(mconfig.model_copy(update={"outbox": mconfig.outbox.model_copy(
            update={"enabled": True})}), engine, http, blobs=blobs)
        await worker.drain()
    [out] = [d for d in fake.delivered if d.api == "bridge" and d.msgtype == "image"]
    [sent] = out.content["attachments"]
    assert base64.b64decode(sent["data"]) == blobs.get(a.sha256)
    assert sent["type"] == "image" and out.text == tm.result_photo_notice(n)
    assert f"附件 {n}" in out.text


async def test_a_banjie_with_its_photo_in_one_message_is_the_result(mgroup, fetcher, rows):
    n = ticket_of(await send(mgroup, text=REPORT))
    await mgroup.say(f"接单 {n}", sender="zhangwei")
    said = await send(mgroup, sender="zhangwei", text=f"办结 {n} 已清运", attachments=[inline(png())])
    assert said.ticket == n and tm.attached_note(["image"]) in said.reply
    assert rows.attachments()[0].role == "result"


@pytest.mark.parametrize("disabled", [True])
async def test_with_attachments_off_a_photo_is_stored_and_ignored(aiohttp_client, db_url, fake, tmp_path, engine,
                                                                   classifier, disabled):
    from bot.app import create_app
    from tests.conftest import Bridge
    from tests.media.conftest import Rows

    cfg = media_config(db_url, fake, tmp_path, attachments={"enabled": False})
    group = Bridge(await aiohttp_client(create_app(cfg, engine=engine, classifier=classifier)))
    said = await send(group, attachments=[inline(png())])
    assert said.status == 200 and said.reply is None
    assert Rows(engine).attachments() == []


async def test_a_workers_photo_after_a_progress_note_is_evidence_on_that_ticket(mgroup, rows):
    n = ticket_of(await send(mgroup, text=REPORT))
    await mgroup.say(f"接单 {n}", sender="zhangwei")
    await mgroup.say(f"进度 {n} 已联系环卫，明早清运", sender="zhangwei")
    said = await send(mgroup, sender="zhangwei", attachments=[inline(png())])
    assert said.reply == tm.attached(n, ["image"])
    assert (rows.attachments()[0].ticket_id, rows.attachments()[0].role) == (n, "evidence")


async def test_a_photo_in_an_unbound_chat_is_stored_as_a_message_but_not_fetched(mgroup, rows):
    said = await send(mgroup, chat_id="some-new-group", attachments=[inline(png())])
    assert said.status == 200 and rows.attachments() == []


async def test_a_download_that_fails_for_a_while_is_retried_then_kept(mgroup, fake, fetcher, rows, engine):
    from sqlalchemy import update
    from sqlmodel import Session

    from storage.models import Attachment

    n = ticket_of(await send(mgroup, text=REPORT))
    fake.http_errors(1)  # the bridge's media server answers 503 once
    url = fake.serve_file("flaky.jpg", jpeg_with_gps(), "image/jpeg")
    await send(mgroup, attachments=[{"type": "image", "url": url}])
    await fetcher.drain()
    [a] = rows.attachments()
    assert (a.status, a.attempts, a.ticket_id) == ("pending", 1, n) and "HTTP 503" in a.reason
    with Session(engine) as s:  # the backoff has passed
        s.exec(update(Attachment).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))
        s.commit()
    await fetcher.drain()
    assert rows.attachments()[0].status == "stored"
    assert [o for o in rows.outbox() if "未能" in o.body.get("content", "")] == []
