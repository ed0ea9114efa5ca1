"""The key-target roster by card (重点对象花名册), for shared.exports: the residents list
(ID numbers and phones masked, as every list is) grouped Red, Blue, Green, then not yet
graded, community by community. Pure: list items and the org tree in, a Sheet out."""
from __future__ import annotations

from typing import Iterable, Mapping

from shared.exports import Sheet

CARD_ORDER = {"red": 0, "blue": 1, "green": 2, None: 3}
CARD_ZH = {"red": "红卡", "blue": "蓝卡", "green": "绿卡", None: "未评级"}
GENDER_ZH = {"male": "男", "female": "女"}
STATUS_ZH = {"active": "在册", "moved_out": "迁出", "deceased": "已故"}
COLUMNS = (("card", "卡别"), ("community", "社区"), ("name", "姓名"), ("gender", "性别"),
           ("birth_date", "出生日期"), ("id_number", "身份证号（脱敏）"), ("phone", "联系电话（脱敏）"),
           ("categories", "对象类别"), ("status", "状态"), ("reassess_on", "下次评估日期"),
           ("id", "居民编号"))


def sheet(items: Iterable[Mapping], tree, station_id: str, today: str) -> Sheet:
    """`tree`: residents' OrgTree (names of the station and its communities)."""
    def community(community_id):
        node = tree.get("community", community_id) if community_id else None
        return node.name if node else (community_id or "")
    ordered = sorted(items, key=lambda r: (CARD_ORDER.get(r.get("card"), 3),
                                           community(r.get("community_id")), r.get("id")))
    rows = [{**item, "card": CARD_ZH.get(item.get("card"), item.get("card")),
             "community": community(item.get("community_id")),
             "gender": GENDER_ZH.get(item.get("gender"), item.get("gender")),
             "status": STATUS_ZH.get(item.get("status"), item.get("status"))}
            for item in ordered]
    station = tree.get("station", station_id)
    return Sheet("重点对象花名册（按卡别）", station.name if station else station_id,
                 f"截至 {today}", COLUMNS, rows)
