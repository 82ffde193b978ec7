"""Images through the WeCom AI bot: the platform puts an encrypted file at ``image.url`` (AES-256-CBC with the
bot's EncodingAESKey, IV its first 16 bytes, PKCS#7 padding to 32 bytes); mixed messages carry text and images."""

from __future__ import annotations

import base64
import json
import os
import re

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from handlers import texts_media as tm
from storage.media import has_gps
from tests.channels.wecom_platform import WecomAibotPlatform
from tests.media.conftest import jpeg_with_gps

CHAT = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"  # bound to quehua-1
REPORT = "@网格通 3号楼门口的垃圾桶满了好几天了"


def encrypt_file(data: bytes, encoding_aes_key: str) -> bytes:
    """What the platform serves at image.url."""
    key = base64.b64decode(encoding_aes_key + "=")
    pad = 32 - len(data) % 32
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return enc.update(data + bytes([pad]) * pad) + enc.finalize()


def message(msgtype: str, body: dict, *, sender: str = "zhaomin") -> str:
    return json.dumps({"msgid": f"CAIQ{os.urandom(6).hex()}", "aibotid": "AIBOTID", "chatid": CHAT,
                       "chattype": "group", "from": {"userid": sender},
                       "response_url": "https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=X",
                       "msgtype": msgtype, msgtype: body}, ensure_ascii=False)


async def test_a_mixed_message_with_text_and_an_encrypted_image(mclient, mconfig, fake, fetcher, rows, blobs):
    bot = WecomAibotPlatform(mclient, mconfig)
    photo = jpeg_with_gps()
    url = fake.serve_file("aibot-img-1", encrypt_file(photo, mconfig.wecom.aibot.encoding_aes_key))
    answer = await bot.send_plain(message("mixed", {"msg_item": [
        {"msgtype": "text", "text": {"content": REPORT}},
        {"msgtype": "image", "image": {"url": url}},
    ]}))
    content = bot.stream(answer)["content"]
    n = int(re.search(r"工单号 #(\d+)", content).group(1))
    assert tm.attached_note(["image"]) in content
    await fetcher.drain()
    [a] = rows.attachments()
    assert (a.ticket_id, a.source, a.status, a.content_type) == (n, "aibot_url", "stored", "image/jpeg")
    kept = blobs.get(a.sha256)
    assert not has_gps(kept)
    import io

    from PIL import Image
    assert Image.open(io.BytesIO(kept)).size == (64, 48)  # decrypted, decoded, re-encoded


async def test_an_image_message_after_the_report_and_a_voice_transcription(mclient, mconfig, fake, fetcher, rows):
    bot = WecomAibotPlatform(mclient, mconfig)
    url = fake.serve_file("aibot-img-2", encrypt_file(jpeg_with_gps((5, 5, 250)),
                                                      mconfig.wecom.aibot.encoding_aes_key))
    n = int(re.search(r"#(\d+)", bot.stream(await bot.say(REPORT))["content"]).group(1))
    answer = await bot.send_plain(message("image", {"url": url}))
    assert bot.stream(answer)["content"] == tm.attached(n, ["image"])
    voice = await bot.send_plain(message("voice", {"content": "五号楼楼道的灯坏了晚上看不见"}, sender="wangwu"))
    assert "工单号 #" in bot.stream(voice)["content"]
    await fetcher.drain()
    assert [a.status for a in rows.attachments()] == ["stored"]


async def test_a_file_encrypted_with_another_key_fails_and_is_not_kept(mclient, mconfig, fake, fetcher, rows):
    bot = WecomAibotPlatform(mclient, mconfig)
    wrong = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    url = fake.serve_file("aibot-file", encrypt_file(b"%PDF-1.4\n%%EOF\n", wrong))
    await bot.say(REPORT)
    await bot.send_plain(message("file", {"url": url}))
    await fetcher.drain()
    [a] = rows.attachments()
    assert a.status in ("failed", "refused") and a.sha256 is None


async def test_an_image_without_a_url_is_400(mclient, mconfig, rows):
    bot = WecomAibotPlatform(mclient, mconfig)
    assert (await bot.send_plain(message("image", {"url": "not a url"}))).status == 400
    assert (await bot.send_plain(message("mixed", {"msg_item": []}))).status == 400
    assert rows.attachments() == []


async def test_a_result_photo_reaches_the_group_through_its_robot_as_base64_and_md5(mclient, mconfig, fake,
                                                                                   fetcher, rows, engine, blobs):
    import hashlib

    import aiohttp

    from bot.outbox_worker import build_worker

    bot = WecomAibotPlatform(mclient, mconfig)
    n = int(re.search(r"#(\d+)", bot.stream(await bot.say(REPORT))["content"]).group(1))
    await bot.send_plain(message("text", {"content": f"@网格通 接单 {n}"}, sender="zhangwei"))
    await bot.send_plain(message("text", {"content": f"@网格通 办结 {n} 已清运"}, sender="zhangwei"))
    url = fake.serve_file("result", encrypt_file(jpeg_with_gps((0, 250, 0)), mconfig.wecom.aibot.encoding_aes_key))
    answer = await bot.send_plain(message("image", {"url": url}, sender="zhangwei"))
    assert bot.stream(answer)["content"] == tm.result_attached(n, ["image"])
    await fetcher.drain()
    [a] = rows.attachments()
    async with aiohttp.ClientSession() as http:
        cfg = mconfig.model_copy(update={"outbox": mconfig.outbox.model_copy(update={"enabled": True})})
        await build_worker(cfg, engine, http, blobs=blobs).drain()
    robot = [d for d in fake.delivered if d.api == "robot"]
    assert tm.result_photo_notice(n) in [d.text for d in robot]
    [image] = [d for d in robot if d.msgtype == "image"]
    data = base64.b64decode(image.content["base64"])
    assert data == blobs.get(a.sha256) and image.content["md5"] == hashlib.md5(data).hexdigest()
