"""Reading an organisation file for ``gridbot org import``: validate everything first, then write all or nothing.

Three shapes are accepted:

- TOML in the ``[org]`` shape of the configuration (``[[org.streets]]``, ``[[org.communities]]``,
  ``[[org.grids]]``, ``[[org.members]]``; the ``org.`` prefix may be left out);
- a CSV of members, as exported from a spreadsheet, with the header
  ``userid,name,role,grid,community,street,department,phone`` (Chinese headers 账号/姓名/角色/网格/社区/街道/
  部门/电话 work too; role may be written as 网格员, 调解员, 部门人员, 书记, 管理员, 居民; several grids as
  ``quehua-1;quehua-2``);
- a CSV of the three lists with the header ``grid,kind,name,contact,detail`` (kind: need/resource/service or
  需求/资源/服务); it replaces the lists of the grids and kinds it names.

References (a member's grid, a grid's community ...) may point into the file or at what the database already
holds. Every problem is reported with its row; if there is any, nothing is imported.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError
from sqlmodel import Session, delete, select

from bot.config import CommunityConfig, GridConfig, MemberConfig, OrgConfig, StreetConfig
from bot.orgsync import sync_org
from storage import org as org_store
from storage.models import Community, Grid, ListEntry, Street

ROLE_WORDS = {
    "resident": "resident", "居民": "resident",
    "grid_worker": "grid_worker", "网格员": "grid_worker",
    "mediator": "mediator", "调解员": "mediator",
    "department": "department", "部门": "department", "部门人员": "department",
    "secretary": "secretary", "书记": "secretary",
    "admin": "admin", "管理员": "admin",
}
ROLES_HELP = "resident/居民、grid_worker/网格员、mediator/调解员、department/部门人员、secretary/书记、admin/管理员"
MEMBER_HEADER = ("userid", "name", "role", "grid", "community", "street", "department", "phone")
LIST_HEADER = ("grid", "kind", "name", "contact", "detail")
HEADER_WORDS = {
    "账号": "userid", "用户id": "userid", "用户名": "userid", "userid": "userid",
    "姓名": "name", "名称": "name", "name": "name",
    "角色": "role", "role": "role",
    "网格": "grid", "grid": "grid",
    "社区": "community", "community": "community",
    "街道": "street", "street": "street",
    "部门": "department", "department": "department",
    "电话": "phone", "手机": "phone", "phone": "phone",
    "类别": "kind", "清单": "kind", "kind": "kind",
    "联系方式": "contact", "contact": "contact",
    "说明": "detail", "detail": "detail",
}
LIST_KINDS = {"need": "need", "需求": "need", "resource": "resource", "资源": "resource",
              "service": "service", "服务": "service"}
PHONE = re.compile(r"^[\d+\-() ]{5,20}$")
_GRID_SPLIT = re.compile(r"[;；,，、|/\s]+")


class OrgFileError(Exception):
    """The file cannot be imported; ``problems`` names every bad row."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Plan:
    streets: list[StreetConfig] = field(default_factory=list)
    communities: list[CommunityConfig] = field(default_factory=list)
    grids: list[GridConfig] = field(default_factory=list)
    members: list[MemberConfig] = field(default_factory=list)
    lists: list[tuple[str, str, str, str | None, str | None]] = field(default_factory=list)
    labels: dict[tuple[str, int], str] = field(default_factory=dict)  # ("members", i) → "m.csv 第 3 行（id）"

    def summary(self) -> str:
        parts = [(len(self.streets), "个街道"), (len(self.communities), "个社区"), (len(self.grids), "个网格"),
                 (len(self.members), "名成员"), (len(self.lists), "条清单记录")]
        return "、".join(f"{n} {what}" for n, what in parts if n) or "没有内容"


def read_text(path: Path) -> str:
    """UTF-8 (with or without the BOM spreadsheets write), else GB18030 as Chinese Excel saves CSV."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def load_plan(session: Session, path: Path) -> Plan:
    if not path.exists():
        raise OrgFileError([f"{path}: 文件不存在"])
    text = read_text(path)
    if path.suffix.lower() == ".toml":
        plan, problems = _from_toml(text, path.name)
    elif path.suffix.lower() == ".csv":
        plan, problems = _from_csv(text, path.name)
    else:
        raise OrgFileError([f"{path}: 只支持 .toml 或 .csv 文件"])
    problems = sorted(problems + _check_references(session, plan, path.name), key=_row_order)
    if problems:
        raise OrgFileError(problems)
    return plan


def _row_order(problem: str) -> tuple[int, int]:
    m = re.search(r"第 (\d+) 行|\[(\d+)\]", problem)
    return (0, int(m.group(1) or m.group(2))) if m else (1, 0)


def apply_plan(session: Session, plan: Plan) -> None:
    if plan.streets or plan.communities or plan.grids or plan.members:
        sync_org(session, OrgConfig.model_construct(streets=plan.streets, communities=plan.communities,
                                                    grids=plan.grids, members=plan.members))
    for grid_id, kind in sorted({(g, k) for g, k, *_ in plan.lists}):
        session.exec(delete(ListEntry).where(ListEntry.grid_id == grid_id, ListEntry.kind == kind))
    for grid_id, kind, name, contact, detail in plan.lists:
        session.add(ListEntry(grid_id=grid_id, kind=kind, name=name, contact=contact, detail=detail))
    session.flush()
    org_store.forget(session)


# --- TOML ---------------------------------------------------------------------------------------------------------

_SECTIONS: dict[str, type[BaseModel]] = {
    "streets": StreetConfig, "communities": CommunityConfig, "grids": GridConfig, "members": MemberConfig,
}


def _pydantic_problems(e: ValidationError) -> list[str]:
    out = []
    for err in e.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(整行)"
        if err["type"] == "extra_forbidden":
            msg = "未知字段"
        elif err["type"] == "missing" or err.get("input") is None:
            msg = "必填"
        elif key == "role":
            msg = f"「{err.get('input')}」不是有效角色，可选：{ROLES_HELP}"
        else:
            msg = err["msg"]
        out.append(f"{key}：{msg}")
    return out


def _from_toml(text: str, source: str) -> tuple[Plan, list[str]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        return Plan(), [f"{source}: 不是有效的 TOML：{e}"]
    if "org" in data and isinstance(data["org"], dict):
        extra = sorted(set(data) - {"org"})
        data = data["org"]
    else:
        extra = []
    problems = [f"{source}: {k}：未知的段落" for k in extra]
    known = ", ".join(_SECTIONS)
    problems += [f"{source}: {k}：未知的段落（可用：{known}）" for k in sorted(set(data) - set(_SECTIONS))]
    plan = Plan()
    for section, model in _SECTIONS.items():
        rows = data.get(section, [])
        if not isinstance(rows, list):
            problems.append(f"{source}: {section}：应为 [[{section}]] 列表")
            continue
        for i, row in enumerate(rows):
            label = f"{source}: {section}[{i}]" + (f"（{row.get('id') or row.get('userid')}）"
                                                   if isinstance(row, dict) and (row.get("id") or row.get("userid"))
                                                   else "")
            if isinstance(row, dict) and section == "members" and isinstance(row.get("role"), str):
                row = {**row, "role": ROLE_WORDS.get(row["role"], row["role"])}
            try:
                item = model.model_validate(row)
            except ValidationError as e:
                problems += [f"{label}：{p}" for p in _pydantic_problems(e)]
                continue
            plan.labels[(section, len(getattr(plan, section)))] = label
            getattr(plan, section).append(item)
            if section == "members":
                problems += [f"{label}：{p}" for p in _member_rules(item)]
    return plan, problems


# --- CSV ----------------------------------------------------------------------------------------------------------


def _from_csv(text: str, source: str) -> tuple[Plan, list[str]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header_row = next(reader)
    except StopIteration:
        return Plan(), [f"{source}: 文件是空的"]
    header = [HEADER_WORDS.get(h.strip().lower(), h.strip()) for h in header_row]
    if "kind" in header:
        return _lists_csv(reader, header, source)
    unknown = [h for h in header if h not in MEMBER_HEADER]
    missing = [h for h in ("userid", "name", "role") if h not in header]
    if unknown or missing:
        what = []
        if unknown:
            what.append(f"未知的列 {', '.join(unknown)}")
        if missing:
            what.append(f"缺少列 {', '.join(missing)}")
        return Plan(), [f"{source} 第 1 行（表头）：{'；'.join(what)}。表头应为 {','.join(MEMBER_HEADER)}"]
    plan, problems, seen = Plan(), [], {}
    for line, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            problems.append(f"{source} 第 {line} 行：比表头多出 {len(row) - len(header)} 列")
            continue
        values = {h: row[i].strip() if i < len(row) else "" for i, h in enumerate(header)}
        label = f"{source} 第 {line} 行" + (f"（{values['userid']}）" if values.get("userid") else "")
        grids = [g for g in _GRID_SPLIT.split(values.get("grid", "")) if g]
        data = {
            "userid": values.get("userid") or None, "name": values.get("name") or None,
            "role": ROLE_WORDS.get(values.get("role", ""), values.get("role") or None),
            "grid": (grids[0] if len(grids) == 1 else grids) if grids else None,
            "community": values.get("community") or None, "street": values.get("street") or None,
            "department": values.get("department") or None, "phone": values.get("phone") or None,
        }
        try:
            m = MemberConfig.model_validate(data)
        except ValidationError as e:
            problems += [f"{label}：{p}" for p in _pydantic_problems(e)]
            continue
        if m.userid in seen:
            problems.append(f"{label}：userid {m.userid} 与第 {seen[m.userid]} 行重复")
            continue
        seen[m.userid] = line
        problems += [f"{label}：{p}" for p in _member_rules(m)]
        plan.labels[("members", len(plan.members))] = label
        plan.members.append(m)
    return plan, problems


def _lists_csv(reader, header: list[str], source: str) -> tuple[Plan, list[str]]:
    unknown = [h for h in header if h not in LIST_HEADER]
    missing = [h for h in ("grid", "kind", "name") if h not in header]
    if unknown or missing:
        return Plan(), [f"{source} 第 1 行（表头）：表头应为 {','.join(LIST_HEADER)}"]
    plan, problems = Plan(), []
    for line, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        v = {h: row[i].strip() if i < len(row) else "" for i, h in enumerate(header)}
        label = f"{source} 第 {line} 行"
        kind = LIST_KINDS.get(v["kind"].lower()) if v.get("kind") else None
        bad = []
        if not v.get("grid"):
            bad.append("grid：必填")
        if kind is None:
            bad.append(f"kind：「{v.get('kind', '')}」应为 need/resource/service 或 需求/资源/服务")
        if not v.get("name"):
            bad.append("name：必填")
        if bad:
            problems += [f"{label}：{b}" for b in bad]
            continue
        plan.labels[("lists", len(plan.lists))] = label
        plan.lists.append((v["grid"], kind, v["name"], v.get("contact") or None, v.get("detail") or None))
    return plan, problems


# --- rules across rows --------------------------------------------------------------------------------------------


def _member_rules(m: MemberConfig) -> list[str]:
    out = []
    if m.role in ("grid_worker", "mediator") and not m.grids:
        out.append(f"role {m.role}：需要填写 grid（所服务的网格）")
    if m.role == "secretary" and not (m.community or m.street):
        out.append("role secretary：需要填写 community 或 street")
    if m.role == "department" and not m.department:
        out.append("role department：需要填写 department（部门名称）")
    if m.phone and not PHONE.match(m.phone):
        out.append("phone：不是有效的电话号码")
    return out


def _check_references(session: Session, plan: Plan, source: str) -> list[str]:
    streets = {s.id for s in plan.streets} | set(session.exec(select(Street.id)).all())
    communities = {c.id for c in plan.communities} | set(session.exec(select(Community.id)).all())
    grids = {g.id for g in plan.grids} | set(session.exec(select(Grid.id)).all())
    out = []

    def label(section: str, i: int) -> str:
        return plan.labels.get((section, i), f"{source}: {section}[{i}]")

    for i, c in enumerate(plan.communities):
        if c.street not in streets:
            out.append(f"{label('communities', i)}：未知街道 {c.street!r}")
    for i, g in enumerate(plan.grids):
        if g.community not in communities:
            out.append(f"{label('grids', i)}：未知社区 {g.community!r}")
    for i, m in enumerate(plan.members):
        for gid in m.grids:
            if gid not in grids:
                out.append(f"{label('members', i)}：未知网格 {gid!r}")
        if m.community and m.community not in communities:
            out.append(f"{label('members', i)}：未知社区 {m.community!r}")
        if m.street and m.street not in streets:
            out.append(f"{label('members', i)}：未知街道 {m.street!r}")
    for i, (grid_id, *_) in enumerate(plan.lists):
        if grid_id not in grids:
            out.append(f"{label('lists', i)}：未知网格 {grid_id!r}")
    return sorted(set(out), key=out.index)


# --- spreadsheets (the web console's import) ----------------------------------------------------------------------


def xlsx_to_csv(data: bytes) -> str:
    """The first sheet of an .xlsx file as CSV text, for the same checks as a CSV file."""
    from openpyxl import load_workbook

    try:
        ws = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception as e:  # noqa: BLE001 - any unreadable file gets the same clear answer
        raise OrgFileError([f"无法读取 Excel 文件：{type(e).__name__}"]) from None
    out = io.StringIO()
    w = csv.writer(out)
    for row in ws.iter_rows(values_only=True):
        w.writerow(["" if v is None else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
                    for v in row])
    return out.getvalue()


def plan_from_csv_text(session: Session, text: str, source: str) -> Plan:
    """``load_plan`` for CSV text already in memory (an upload): every problem with its row, or the plan."""
    plan, problems = _from_csv(text, source)
    problems = sorted(problems + _check_references(session, plan, source), key=_row_order)
    if problems:
        raise OrgFileError(problems)
    return plan
