"""``gridbot org import`` and ``gridbot org show`` against the test database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.cli import main
from bot.orgsync import sync_org
from storage.models import Community, Grid, GridChat, ListEntry, Member, MemberGrid

ROOT = Path(__file__).resolve().parents[2]


def write_config(config, path: Path | None = None) -> Path:
    """config.example.toml with the test database's URL."""
    import tempfile

    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('url = "sqlite:///gridbot.db"', f'url = "{config.storage.url}"', 1)
    if path is None:
        path = Path(tempfile.mkdtemp()) / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def cli(engine, config, tmp_path, capsys):
    """Run ``gridbot --config <test config> ...``; the demo organisation is already in the database."""
    with Session(engine) as s:
        sync_org(s, config.org)
        s.commit()
    path = write_config(config, tmp_path / "config.toml")

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--config", str(path), *argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def members(engine) -> dict[str, Member]:
    with Session(engine) as s:
        return {m.userid: m for m in s.exec(select(Member)).all()}


MEMBERS_CSV = """\
userid,name,role,grid,community,street,department,phone
zhoujie,周杰,网格员,quehua-1;fenghuang-3,,,,13800001111
wuhong,吴红,mediator,fenghuang-3,,,,
fengyu,冯雨,secretary,,fenghuang,,,
hefei,何飞,department,,,daqiao,物业公司,
"""


def test_import_members_csv(cli, engine, tmp_path):
    f = tmp_path / "members.csv"
    f.write_text(MEMBERS_CSV, encoding="utf-8-sig")  # spreadsheets write a BOM
    code, out, err = cli("org", "import", str(f))
    assert code == 0, err
    assert "4 名成员" in out
    m = members(engine)
    assert (m["zhoujie"].role, m["zhoujie"].grid_id, m["zhoujie"].phone) == ("grid_worker", "quehua-1", "13800001111")
    assert (m["fengyu"].role, m["fengyu"].community_id) == ("secretary", "fenghuang")
    assert m["hefei"].department == "物业公司"
    with Session(engine) as s:
        assert s.get(MemberGrid, ("zhoujie", "fenghuang-3")) is not None
    # importing again updates in place
    f.write_text(MEMBERS_CSV.replace("周杰", "周杰伦"), encoding="utf-8")
    assert cli("org", "import", str(f))[0] == 0
    assert members(engine)["zhoujie"].name == "周杰伦"


def test_import_gbk_csv_with_chinese_header(cli, engine, tmp_path):
    f = tmp_path / "成员.csv"
    f.write_bytes("账号,姓名,角色,网格\nqianli,钱立,网格员,fenghuang-3\n".encode("gb18030"))
    code, out, err = cli("org", "import", str(f))
    assert code == 0, err
    assert members(engine)["qianli"].name == "钱立"


def test_a_bad_row_imports_nothing_and_names_every_problem(cli, engine, tmp_path):
    f = tmp_path / "members.csv"
    f.write_text(
        "userid,name,role,grid,community,street,department,phone\n"
        "ok1,好人,grid_worker,quehua-1,,,,\n"
        "bad1,坏角色,boss,quehua-1,,,,\n"
        "bad2,没网格,grid_worker,,,,,\n"
        "bad3,错网格,mediator,quehua-99,,,,\n"
        ",没账号,resident,,,,,\n"
        "ok1,重复,resident,,,,,\n"
        "bad4,部门,department,,,,,abc\n",
        encoding="utf-8",
    )
    before = members(engine)
    code, out, err = cli("org", "import", str(f))
    assert code == 1
    assert "没有导入任何内容" in err
    assert "第 3 行（bad1）：role" in err
    assert "第 4 行（bad2）：role grid_worker：需要填写 grid" in err
    assert "第 5 行（bad3）：未知网格 'quehua-99'" in err
    assert "第 6 行：userid：必填" in err
    assert "第 7 行（ok1）：userid ok1 与第 2 行重复" in err
    assert "第 8 行（bad4）：role department：需要填写 department" in err and "phone" in err
    assert members(engine).keys() == before.keys()


def test_bad_header_is_refused(cli, tmp_path):
    f = tmp_path / "members.csv"
    f.write_text("user,name\nx,y\n", encoding="utf-8")
    code, _, err = cli("org", "import", str(f))
    assert code == 1 and "第 1 行（表头）" in err and "缺少列 userid, role" in err


def test_import_toml_adds_a_community_grid_and_members(cli, engine, tmp_path):
    f = tmp_path / "org.toml"
    f.write_text("""
[[org.communities]]
id = "taiping-east"
name = "太平东社区"
street = "taiping"

[[org.grids]]
id = "taiping-east-1"
name = "第一网格"
community = "taiping-east"
chat_ids = ["bridge-taiping-east-1"]

[[org.members]]
userid = "songyan"
name = "宋燕"
role = "grid_worker"
grid = "taiping-east-1"
""", encoding="utf-8")
    code, out, err = cli("org", "import", str(f))
    assert code == 0, err
    assert "1 个社区、1 个网格、1 名成员" in out
    with Session(engine) as s:
        assert s.get(Community, "taiping-east").street_id == "taiping"
        assert s.get(Grid, "taiping-east-1") is not None
        assert s.get(GridChat, "bridge-taiping-east-1").grid_id == "taiping-east-1"
    assert members(engine)["songyan"].grid_id == "taiping-east-1"


def test_bad_toml_names_the_entry_and_imports_nothing(cli, engine, tmp_path):
    f = tmp_path / "org.toml"
    f.write_text("""
[[members]]
userid = "x1"
name = "某人"
role = "grid_worker"
grid = "nowhere"

[[members]]
userid = "x2"
name = "某人"
role = "wizard"
colour = "red"
""", encoding="utf-8")
    code, _, err = cli("org", "import", str(f))
    assert code == 1
    assert "members[0]（x1）：未知网格 'nowhere'" in err
    assert "members[1]（x2）：role" in err and "colour：未知字段" in err
    assert "x1" not in members(engine) and "x2" not in members(engine)


def test_dry_run_writes_nothing(cli, engine, tmp_path):
    f = tmp_path / "members.csv"
    f.write_text(MEMBERS_CSV, encoding="utf-8")
    code, out, _ = cli("org", "import", str(f), "--dry-run")
    assert code == 0 and "检查通过" in out
    assert "zhoujie" not in members(engine)


def test_import_lists_csv_replaces_the_grids_lists(cli, engine, tmp_path):
    f = tmp_path / "lists.csv"
    f.write_text("grid,kind,name,contact,detail\n"
                 "quehua-1,资源,益康大药房,0531-88886666,24小时营业\n"
                 "quehua-1,resource,社区卫生服务站,0531-88887777,\n"
                 "quehua-1,服务,老年助餐,,每天11点\n", encoding="utf-8")
    assert cli("org", "import", str(f))[0] == 0
    assert cli("org", "import", str(f))[0] == 0  # again: replaced, not doubled
    with Session(engine) as s:
        rows = s.exec(select(ListEntry)).all()
    assert sorted((r.kind, r.name) for r in rows) == [
        ("resource", "益康大药房"), ("resource", "社区卫生服务站"), ("service", "老年助餐")]
    f.write_text("grid,kind,name\nquehua-9,资源,某店\nquehua-1,杂项,某店\n", encoding="utf-8")
    code, _, err = cli("org", "import", str(f))
    assert code == 1 and "第 2 行：未知网格 'quehua-9'" in err and "第 3 行：kind" in err


def test_org_show_prints_the_tree(cli):
    code, out, _ = cli("org", "show")
    assert code == 0
    lines = out.splitlines()
    assert lines.index("大桥街道（daqiao）  管理员 管理员（admin），书记 陈静（chenjing）") < \
        lines.index("  鹊华理想社区（quehua）  书记 王芳（wangfang）") < lines.index("    第一网格（quehua-1）")
    assert "      群：bridge-quehua-1、wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA  群机器人：已配置" in lines
    assert "部门人员 孙力（sunli，城管执法中队）" in out
    assert "网格员 张伟（zhangwei）" in out and "登记居民 1 人" in out
    code, out, _ = cli("org", "show", "--json")
    tree = json.loads(out)
    assert {s["id"] for s in tree} == {"daqiao", "cuizhai", "taiping"}


def test_org_show_masks_phone_numbers(cli, tmp_path):
    f = tmp_path / "m.csv"
    f.write_text("userid,name,role,grid,phone\nzz,某某,grid_worker,quehua-1,13812345678\n", encoding="utf-8")
    assert cli("org", "import", str(f))[0] == 0
    out = cli("org", "show")[1]
    assert "138****5678" in out and "13812345678" not in out
