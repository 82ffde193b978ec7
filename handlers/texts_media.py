"""What people read about photos, voice messages, files and location pins (the rest is in handlers/texts.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote

from handlers.texts import when

KIND_NAMES = {"image": "照片", "voice": "语音", "video": "视频", "file": "文件", "link": "链接",
              "location": "位置"}
UNITS = {"image": "张", "voice": "条", "video": "段", "file": "个", "link": "个", "location": "个"}
ROLE_NAMES = {"evidence": "", "result": "办结照片"}


def describe(kinds: Iterable[str]) -> str:
    """"照片 2 张、语音 1 条"."""
    counts = Counter(kinds)
    return "、".join(f"{KIND_NAMES.get(k, k)} {n} {UNITS.get(k, '个')}" for k, n in counts.items())


def size(n: int | None) -> str:
    if n is None:
        return "-"
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def map_link(lat: float, lng: float, label: str | None) -> str:
    """A map for staff: Amap's marker page (WeCom pins are GCJ-02, as Amap draws them)."""
    name = quote(label or "位置")
    return f"https://uri.amap.com/marker?position={lng:.6f},{lat:.6f}&name={name}&coordinate=gaode&callnative=0"


def attached(number: int, kinds: list[str]) -> str:
    return f"已收到{describe(kinds)}，已附到工单 #{number}。"


def attached_note(kinds: list[str]) -> str:
    return f"（已附{describe(kinds)}）"


def earlier_attached_note(kinds: list[str]) -> str:
    return f"（您先前发送的{describe(kinds)}已附到此工单）"


def result_attached(number: int, kinds: list[str]) -> str:
    return f"已收到{describe(kinds)}，作为工单 #{number} 的办结结果，将发送给反映人。"


def place_set(label: str) -> str:
    return f"位置：{label}" if label else "位置已记录"


WAITING_FOR_TEXT = ("收到。请用一句话说明是什么问题、在哪里（例如：3号楼门口垃圾桶满了），"
                    "我会把刚才发送的内容一起登记。")

REFUSED = {
    "too_large": "您发送的{kind}未能保存：超过 {limit} 的上限。请压缩后重新发送，或分几次发送。",
    "bad_type": "您发送的{kind}未能保存：只能接收照片（JPG、PNG、GIF、WebP）、语音、视频和 PDF、Word、Excel 文档。",
    "broken_image": "您发送的图片无法打开，未能保存。请重新拍摄后发送。",
    "empty": "您发送的{kind}是空的，未能保存，请重新发送。",
    "failed": "您发送的{kind}未能从平台取回，未能保存，请重新发送。",
}


def refused(code: str, kind: str, limit: int | None = None) -> str:
    return REFUSED.get(code, REFUSED["failed"]).format(kind=KIND_NAMES.get(kind, "文件"), limit=size(limit))


def staff_evidence_notice(number: int, kinds: list[str], who: str, place: str | None = None) -> str:
    text = f"工单 #{number} 收到 {who} 补充的{describe(kinds)}。发「附件 {number}」查看。"
    if place:
        text += f"\n{place}"
    return text


def result_photo_notice(number: int) -> str:
    return (f"工单 #{number} 的办结照片如下。发「附件 {number}」可随时查看本工单的照片和文件"
            f"（链接限本人使用）。")


def result_photo_link_notice(number: int, link: str | None) -> str:
    """Where an image message cannot be sent (a robot's 2 MB limit, a non-image): the link or the command."""
    if link:
        return f"工单 #{number} 的办结照片：{link}\n（链接限本人使用，过期后发「附件 {number}」重新获取）"
    return f"工单 #{number} 附有办结照片，发「附件 {number}」查看。"


def listing(number: int, items: list[tuple[int, str, str, int | None, str, datetime, str | None, str]],
            links_enabled: bool) -> str:
    """``附件 12``: (K, kind, role, size, who, when, link or map, status)."""
    if not items:
        return f"工单 #{number} 没有附件。"
    lines = [f"工单 #{number} 的附件："]
    for k, kind, role, n, who, at, link, status in items:
        tag = f"（{ROLE_NAMES[role]}）" if ROLE_NAMES.get(role) else ""
        line = f"{k}. {KIND_NAMES.get(kind, kind)}{tag} {size(n) if kind != 'location' else ''} {who} {when(at)}"
        if status == "pending":
            line += " 正在保存"
        elif status == "purged":
            line += " 已按保存期限删除"
        elif status in ("refused", "failed"):
            line += " 未能保存"
        elif link:
            line += f"\n   {link}"
        lines.append(line.replace("  ", " "))
    if not links_enabled:
        lines.append("（本服务器未开启文件链接，请联系网格员查看。）")
    else:
        lines.append("链接限本人使用，一段时间后失效，届时重新发送本命令即可。")
    return "\n".join(lines)


HELP_ATTACHMENTS = "附件 12 —— 查看工单的照片、语音和文件（反映人和承办人员）"
NOT_ALLOWED = "只有反映人和负责该工单的工作人员可以查看工单 #{number} 的附件。"
