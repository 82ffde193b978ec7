"""Location extraction: building / unit / room / named place / gate."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp._text import clean, cn_to_int

_NUM = r"(\d{1,3}|[一二三四五六七八九十两]{1,3})"


@dataclass(frozen=True, slots=True)
class Location:
    """A normalised place mentioned in a message; every field is optional."""

    building: int | None = None
    unit: int | None = None
    room: str | None = None
    place: str | None = None
    gate: str | None = None

    def key(self) -> str:
        """Stable string for duplicate detection, e.g. ``"b3|u2|p:车棚"``; "" when empty."""
        parts = []
        if self.building is not None:
            parts.append(f"b{self.building}")
        if self.unit is not None:
            parts.append(f"u{self.unit}")
        if self.room is not None:
            parts.append(f"r{self.room}")
        if self.place is not None:
            parts.append(f"p:{self.place}")
        if self.gate is not None:
            parts.append(f"g:{self.gate}")
        return "|".join(parts)

    def as_dict(self) -> dict:
        """JSON-ready dict holding only the fields that are set."""
        return {
            name: getattr(self, name)
            for name in ("building", "unit", "room", "place", "gate")
            if getattr(self, name) is not None
        }

    def __bool__(self) -> bool:
        return any(
            getattr(self, name) is not None
            for name in ("building", "unit", "room", "place", "gate")
        )


_BUILDING = re.compile(_NUM + r"\s*(?:号楼|#楼|#|栋|幢|号院)")
_UNIT = re.compile(_NUM + r"\s*单元")
_ROOM = re.compile(r"(?:单元\s*|楼\s*)(\d{3,4})(?!\d)|(?<!\d)(\d{3,4})\s*(?:室|房间|号房)")
_GATE = re.compile(r"([东南西北])\s*(?:大|侧|边)?门")
_GATE_MAIN = re.compile(r"(?:正门|正大门|大门口)")

# Named places: a few Han characters followed by a place suffix (longest suffix first).
_PLACE_SUFFIX = re.compile(
    "理想社区|社区|小区|家园|花园|新城|新村|后街|前街|大街|胡同|街道|工业园|产业园|园区"
    "|苑|村|庄|屯|营|巷|路"
)
# Function words that cannot be inside a place name: the name starts after the last one.
_BOUNDARY = re.compile(
    r".*(?:一下|能不能|对面|旁边|门口|附近|整条|这条|那条|那段|这段|那个|这个"
    # request phrases ("麻烦社区来处理", "请小区管一管", "希望村委…") are not part of a name
    r"|麻烦|拜托|希望|建议|反映|联系|通知|告诉|帮忙|请求|恳请|[请求帮叫喊催问报本]"
    # when, not where: "今天晚上社区广场…" names the 社区, not a place called 今天晚上社区
    r"|今天|明天|昨天|前天|后天|今晚|昨晚|晚上|早上|上午|下午|中午|夜里|半夜|每天|天天|最近|现在|刚才|一直|经常|总是"
    r"|[的在到去从是那这个里跟往回住说了有给找俺我你他她咱们段条把被让都也就还又啥咋怎谁过]|\d)"
)
_BAD_PLACE = {"社区", "小区", "马路", "公路", "柏油路", "水泥路", "土路", "大路", "小路", "近路", "修路",
              "园区", "产业园", "胡同", "新村", "街道", "大街", "村村", "出路", "走路", "铺路", "路路"}
# Generic facilities used when no named place is found (longest first).
_FACILITIES = (
    "地下车库", "胡同", "垃圾站", "垃圾池", "充电站", "充电棚", "车棚", "车库", "菜市场", "早市",
    "大集", "广场",
    "篮球场", "公厕", "厕所", "活动室", "图书室", "村委会", "村委大院", "村委", "大队", "居委会", "卫生室",
    "公交站", "候车亭", "站台", "停车场", "绿化带", "花坛", "小游园", "游园", "河沟", "河边", "桥头", "大棚",
    "仓库", "配电箱", "楼顶", "地库", "电梯", "楼道", "学校", "小学", "幼儿园",
)
_FACILITY_RE = re.compile("|".join(_FACILITIES))
_CONTINUATION = ("后街", "前街", "大街", "村", "社区", "小区")


def _named_place(text: str) -> str | None:
    for m in _PLACE_SUFFIX.finditer(text):
        start, end = m.span()
        for cont in _CONTINUATION:  # 后屯村, 王官庄后街, 鹊华理想社区
            if text.startswith(cont, end):
                end += len(cont)
                break
        prefix = text[max(0, start - 5):start]
        if cut := _BOUNDARY.match(prefix):
            prefix = prefix[cut.end():]
        if not prefix:
            continue
        name = prefix + text[start:end]
        if name in _BAD_PLACE or len(name) < 3 or name.endswith(("村里", "路口")):
            continue
        return name
    return None


def extract_location(text: str) -> Location:
    """Extract a normalised :class:`Location` from a raw message."""
    t = clean(text)
    building = unit = None
    room = place = gate = None
    if m := _BUILDING.search(t):
        building = cn_to_int(m.group(1))
    if m := _UNIT.search(t):
        unit = cn_to_int(m.group(1))
    if m := _ROOM.search(t):
        room = m.group(1) or m.group(2)
    if m := _GATE.search(t):
        gate = m.group(1) + "门"
    elif _GATE_MAIN.search(t):
        gate = "正门"
    compact = t.replace(" ", "")
    place = _named_place(compact)
    if place is None and (m := _FACILITY_RE.search(compact)):
        place = m.group(0)
    return Location(building=building, unit=unit, room=room, place=place, gate=gate)
