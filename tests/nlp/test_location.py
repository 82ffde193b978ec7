"""Location extraction: buildings, units, rooms, gates and named places."""

import pytest

from nlp import Location, load_classifier


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3号楼2单元302室的暖气不热", {"building": 3, "unit": 2, "room": "302"}),
        ("3#楼楼道灯坏了", {"building": 3}),
        ("三号楼二单元门禁坏了", {"building": 3, "unit": 2}),
        ("十二栋楼下的垃圾桶满了", {"building": 12}),
        ("二十一幢东边的路灯不亮", {"building": 21}),
        ("5栋到东门那段路", {"building": 5, "gate": "东门"}),
        ("鹊华理想社区北大门的车乱停", {"place": "鹊华理想社区", "gate": "北门"}),
        ("王官庄后街那个老屋的墙塌了", {"place": "王官庄后街"}),
        ("咱们后屯村能不能装几个充电桩", {"place": "后屯村"}),
        ("车棚里的插座不通电", {"place": "车棚"}),
    ],
)
def test_extracts_normalised_fields(text: str, expected: dict) -> None:
    loc = load_classifier().extract_location(text)
    for field, value in expected.items():
        assert getattr(loc, field) == value, (text, loc)


@pytest.mark.parametrize(
    "text",
    [
        "3号楼门口的树上挂了个大马蜂窝 孩子们不敢过 麻烦社区来处理一下",
        "多次联系物业无果，请社区协调处理",
        "跟楼上吵了好几次了 想请社区出面协调一下",
        "建议小区内实行车辆限时停放",
        "两家闹了十来年 求村里给评评理",
        "请问本社区低保怎么申请",
    ],
)
def test_request_phrase_is_not_a_place(text: str) -> None:
    # "麻烦社区", "请社区", "建议小区": whom the resident asks, not where the problem is
    loc = load_classifier().extract_location(text)
    assert loc.place is None, (text, loc)


@pytest.mark.parametrize("text, place", [("今天晚上社区广场的舞蹈队几点开始", "广场"),
                                         ("最近小区里老有人遛狗不牵绳", None),
                                         ("昨天王官庄后街的路灯又不亮了", "王官庄后街")])
def test_a_time_word_is_not_part_of_a_place(text: str, place: str | None) -> None:
    assert load_classifier().extract_location(text).place == place


def test_request_phrase_keeps_the_real_place() -> None:
    loc = load_classifier().extract_location("3号楼门口的树上挂了个大马蜂窝 孩子们不敢过 麻烦社区来处理一下")
    assert loc.building == 3
    loc = load_classifier().extract_location("麻烦社区管一下 王官庄后街的路灯不亮")
    assert loc.place == "王官庄后街", loc


def test_key_and_dict() -> None:
    loc = Location(building=3, unit=2, place="车棚")
    assert loc.key() == "b3|u2|p:车棚"
    assert loc.as_dict() == {"building": 3, "unit": 2, "place": "车棚"}
    assert loc
    assert not Location()
    assert Location().key() == ""
    assert Location().as_dict() == {}


def test_same_place_written_differently_gives_same_key() -> None:
    clf = load_classifier()
    a = clf.extract_location("3号楼2单元车棚充电桩坏了")
    b = clf.extract_location("三号楼二单元 车棚的桩子又不行了")
    assert a.key() == b.key() == "b3|u2|p:车棚"
