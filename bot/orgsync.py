"""The organisation from configuration (or an import file) into the database."""

from __future__ import annotations

from sqlmodel import Session

from bot.config import OrgConfig
from storage.models import Community, Grid, GridChat, Member, MemberGrid, Street
from storage.org import upsert_org


def sync_org(session: Session, org: OrgConfig) -> None:
    members, extra = [], []
    for m in org.members:
        grids = m.grids
        members.append(Member(
            userid=m.userid, name=m.name, role=m.role, grid_id=grids[0] if grids else None,
            community_id=m.community, street_id=m.street, department=m.department, phone=m.phone,
        ))
        extra += [MemberGrid(userid=m.userid, grid_id=g) for g in grids[1:]]
    upsert_org(
        session,
        streets=[Street(id=s.id, name=s.name) for s in org.streets],
        communities=[Community(id=c.id, name=c.name, street_id=c.street) for c in org.communities],
        grids=[Grid(id=g.id, name=g.name, community_id=g.community, robot_key=g.robot_key,
                    appchat_id=g.appchat_id) for g in org.grids],
        chats=[GridChat(chat_id=c, grid_id=g.id) for g in org.grids for c in g.chat_ids],
        members=members,
        member_grids=extra,
    )
