"""Photos, voice, files and pins through the WeCom self-built app: real callback XML, the media API on the
fake WeCom serving real JPEG and AMR bytes, and a passive reply that never waits for a download."""

from __future__ import annotations

import asyncio
import itertools
import re

from handlers import texts_media as tm
from storage.media import has_gps
from tests.channels.wecom_platform import WecomAppPlatform, now
from tests.media.conftest import amr, jpeg_with_gps

_ids = itertools.count(7_300_000_000_000_000_001)
REPORT = "3号楼2单元门口的充电桩坏了三天了"


def xml(msg_type: str, fields: str, *, sender: str = "zhaomin", corp: str = "ww0123456789abcdef") -> str:
    return (f"<xml><ToUserName><![CDATA[{corp}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
            f"<CreateTime>{now()}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{fields}"
            f"<MsgId>{next(_ids)}</MsgId><AgentID>1000002</AgentID></xml>")


def image(media_id: str) -> str:
    return xml("image", "<PicUrl><![CDATA[https://wework.qpic.cn/wwpic/12345/0]]></PicUrl>"
                        f"<MediaId><![CDATA[{media_id}]]></MediaId>")


def voice(media_id: str, recognition: str | None = None) -> str:
    rec = f"<Recognition><![CDATA[{recognition}]]></Recognition>" if recognition is not None else ""
    return xml("voice", f"<MediaId><![CDATA[{media_id}]]></MediaId><Format><![CDATA[amr]]></Format>{rec}")


def location(lat: float, lng: float, label: str) -> str:
    return xml("location", f"<Location_X>{lat}</Location_X><Location_Y>{lng}</Location_Y><Scale>15</Scale>"
                           f"<Label><![CDATA[{label}]]></Label><AppType><![CDATA[wxwork]]></AppType>")


def ticket_of(text: str) -> int:
    m = re.search(r"#(\d+)", text)
    assert m, text
    return int(m.group(1))


async def test_a_photo_after_a_report_is_fetched_with_the_media_api_after_the_answer(mclient, mconfig, fake,
                                                                                    fetcher, rows, blobs):
    wecom = WecomAppPlatform(mclient, mconfig)
    photo = jpeg_with_gps()
    fake.add_media("MEDIA_IMG_1", photo, "image/jpeg", "IMG_0001.jpg")
    n = ticket_of(wecom.content(await wecom.say(REPORT)))
    fake.hold_media()  # WeCom's media server is slow today
    answer = await wecom.send_plain(image("MEDIA_IMG_1"))
    assert wecom.content(answer) == tm.attached(n, ["image"])  # answered while the download still waits
    [a] = rows.attachments()
    assert (a.source, a.ref, a.ticket_id, a.status) == ("wecom_media", "MEDIA_IMG_1", n, "pending")
    fake.release_media()
    await fetcher.drain()
    [a] = rows.attachments()
    assert (a.status, a.content_type) == ("stored", "image/jpeg")
    assert not has_gps(blobs.get(a.sha256))
    assert fake.calls.count("gettoken") == 1 and "media/get" in fake.calls


async def test_the_media_api_token_is_refreshed_when_it_expired(mclient, mconfig, fake, fetcher, rows):
    wecom = WecomAppPlatform(mclient, mconfig)
    fake.add_media("M1", jpeg_with_gps(), "image/jpeg", "a.jpg")
    fake.add_media("M2", jpeg_with_gps((0, 0, 200)), "image/jpeg", "b.jpg")
    await wecom.say(REPORT)
    await wecom.send_plain(image("M1"))
    await fetcher.drain()
    fake.expire_token()
    await wecom.send_plain(image("M2"))
    await fetcher.drain()
    assert [a.status for a in rows.attachments()] == ["stored", "stored"]
    assert fake.calls.count("gettoken") == 2


async def test_a_voice_message_with_recognition_is_classified_like_text_and_kept(mclient, mconfig, fake, fetcher,
                                                                                 rows):
    wecom = WecomAppPlatform(mclient, mconfig)
    fake.add_media("VOICE_1", amr(2), "audio/amr", "voice.amr")
    answer = await wecom.send_plain(voice("VOICE_1", "三号楼二单元门口的充电桩坏了三天了"))
    text = wecom.content(answer)
    n = ticket_of(text)
    assert "工单号" in text and "充电设施" in text and tm.attached_note(["voice"]) in text
    await fetcher.drain()
    [a] = rows.attachments()
    assert (a.ticket_id, a.kind, a.status, a.content_type) == (n, "voice", "stored", "audio/amr")


async def test_a_voice_without_recognition_is_evidence_for_the_last_report(mclient, mconfig, fake, rows):
    wecom = WecomAppPlatform(mclient, mconfig)
    fake.add_media("VOICE_2", amr(1), "audio/amr", "voice.amr")
    n = ticket_of(wecom.content(await wecom.say(REPORT)))
    assert wecom.content(await wecom.send_plain(voice("VOICE_2"))) == tm.attached(n, ["voice"])


async def test_a_location_sets_the_place_of_the_report(mclient, mconfig, rows):
    wecom = WecomAppPlatform(mclient, mconfig)
    n = ticket_of(wecom.content(await wecom.say(REPORT)))
    answer = await wecom.send_plain(location(36.670712, 117.024815, "济南市天桥区鹊华理想社区3号楼"))
    assert f"#{n}" in wecom.content(answer)
    t = rows.ticket(n)
    assert t.place_label == "济南市天桥区鹊华理想社区3号楼" and abs(t.latitude - 36.670712) < 1e-6


async def test_a_file_and_a_link(mclient, mconfig, fake, fetcher, rows):
    wecom = WecomAppPlatform(mclient, mconfig)
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    fake.add_media("FILE_1", pdf, "application/pdf", "情况说明.pdf")
    n = ticket_of(wecom.content(await wecom.say(REPORT)))
    await wecom.send_plain(xml("file", "<MediaId><![CDATA[FILE_1]]></MediaId>"))
    await wecom.send_plain(xml("link", "<Title><![CDATA[物业公告]]></Title>"
                                       "<Description><![CDATA[停水通知]]></Description><Url><![CDATA[https://example.org/notice]]></Url>"
                                       "<PicUrl><![CDATA[https://example.org/p.jpg]]></PicUrl>"))
    await fetcher.drain()
    kinds = {(a.kind, a.status, a.content_type, a.ticket_id) for a in rows.attachments()}
    assert ("file", "stored", "application/pdf", n) in kinds
    assert any(k[0] == "link" and k[1] == "stored" for k in kinds)


async def test_an_unknown_media_id_fails_and_the_sender_is_told(mclient, mconfig, fake, fetcher, rows):
    wecom = WecomAppPlatform(mclient, mconfig)
    await wecom.say(REPORT)
    await wecom.send_plain(image("NO_SUCH_MEDIA"))
    await fetcher.drain()
    [a] = rows.attachments()
    assert a.status == "failed" and "40007" in a.reason
    [told] = [o for o in rows.outbox() if o.target == "zhaomin"]
    assert told.target_kind == "user" and told.body["content"] == tm.refused("failed", "image")


async def test_broken_media_fields_are_400(mclient, mconfig, rows):
    wecom = WecomAppPlatform(mclient, mconfig)
    assert (await wecom.send_plain(xml("image", "<PicUrl>x</PicUrl>"))).status == 400
    assert (await wecom.send_plain(location(200, 1, "x"))).status == 400
    assert (await wecom.send_plain(xml("location", "<Location_X>abc</Location_X><Location_Y>1</Location_Y>"))
            ).status == 400
    assert rows.attachments() == []


async def test_many_photos_at_once_are_all_answered_and_fetched(mclient, mconfig, fake, fetcher, rows):
    wecom = WecomAppPlatform(mclient, mconfig)
    n = ticket_of(wecom.content(await wecom.say(REPORT)))
    for i in range(5):
        fake.add_media(f"P{i}", jpeg_with_gps((i * 40, 10, 10)), "image/jpeg", f"{i}.jpg")
    answers = await asyncio.gather(*(wecom.send_plain(image(f"P{i}")) for i in range(5)))
    assert all(wecom.content(a) == tm.attached(n, ["image"]) for a in answers)
    await fetcher.drain()
    assert [a.status for a in rows.attachments()] == ["stored"] * 5


async def test_a_result_photo_reaches_an_app_reporter_as_an_image_message(mclient, mconfig, fake, fetcher, rows,
                                                                          engine, blobs):
    import aiohttp

    from bot.outbox_worker import build_worker

    wecom = WecomAppPlatform(mclient, mconfig)
    n = ticket_of(wecom.content(await wecom.say(REPORT)))
    await wecom.say(f"接单 {n}", sender="zhangwei")
    await wecom.say(f"办结 {n} 已修好", sender="zhangwei")
    fake.add_media("RESULT", jpeg_with_gps((0, 200, 0)), "image/jpeg", "done.jpg")
    await wecom.send_plain(xml("image", "<PicUrl><![CDATA[https://wework.qpic.cn/x/0]]></PicUrl>"
                                        "<MediaId><![CDATA[RESULT]]></MediaId>", sender="zhangwei"))
    await fetcher.drain()
    [a] = rows.attachments()
    assert a.role == "result"
    async with aiohttp.ClientSession() as http:
        cfg = mconfig.model_copy(update={"outbox": mconfig.outbox.model_copy(update={"enabled": True})})
        await build_worker(cfg, engine, http, blobs=blobs).drain()
    to_reporter = [d for d in fake.delivered if d.api == "message" and d.target == "zhaomin"]
    assert [d.msgtype for d in to_reporter][-2:] == ["text", "image"]
    assert to_reporter[-2].text == tm.result_photo_notice(n)
    assert to_reporter[-1].content["media_id"].startswith("media-")
    assert fake.uploads[-1] == blobs.get(a.sha256)
