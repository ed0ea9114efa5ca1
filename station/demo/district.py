"""The demo district, described once: who lives where, what the stations run, and the
source report's figures the generated history is sized to (../shared/seed, MISSION.md).

Nothing here is a figure shown to anyone: the loader sends a generated history through
the API and the end screen prints what the reporting service computes from its events.
`REPORT` is what those computed figures are put beside.
"""
from __future__ import annotations

import dataclasses

DISTRICT = "nanming"


@dataclasses.dataclass(frozen=True)
class Community:
    id: str
    name: str
    # Who the key targets are here, as (domain, categories, weight): the community's
    # character in the seed (old town: elderly alone; 低保 streets; a mixed new estate …).
    people: tuple[tuple[str, tuple[str, ...], int], ...]
    party: float = 0.15          # share of organization members who are party members


@dataclasses.dataclass(frozen=True)
class Station:
    id: str
    name: str
    street_id: str
    street_name: str
    short: str                   # the demo accounts' suffix ("" for Xihu Road's)
    communities: tuple[Community, ...]
    size: float                  # its caseload beside Xihu Road's (1.0)
    new: bool = True             # not in the shipped organisation tree: added by the loader


_ALONE = ("elderly", ("living_alone",), 5)
_OLD = ("elderly", ("living_alone", "empty_nest"), 3)  # 80+: advanced_age is derived
_NEST = ("elderly", ("empty_nest",), 3)
_DIBAO = ("assistance", ("low_income",), 5)
_TEKUN = ("assistance", ("extreme_poverty", "disabled"), 1)
_DISABLED = ("assistance", ("low_income", "disabled"), 2)
_CHILD = ("child", ("left_behind_child",), 2)
_CHILD_HARD = ("child", ("child_in_difficulty",), 1)

XIHULU = Station("xihulu-station", "西湖路街道社工站", "xihulu", "西湖路街道", "", (
    Community("nanmingtang", "南明堂社区", (_ALONE, _OLD, _NEST, _DIBAO), 0.25),
    Community("guanfengtai", "观风台社区", (_ALONE, _DIBAO, _TEKUN, _NEST), 0.12),
    Community("xihulu", "西湖路社区", (_ALONE, _NEST, _OLD), 0.35),
    Community("suoshixiang", "梭石巷社区", ((_DIBAO[0], _DIBAO[1], 9), _DISABLED, _TEKUN,
                                          _CHILD_HARD, _ALONE), 0.10),
    Community("guanjinglu", "官井路社区", ((_DIBAO[0], _DIBAO[1], 8), _DISABLED, _CHILD,
                                          _ALONE), 0.10),
    Community("shengshihuacheng", "盛世花城社区", (_NEST, _CHILD, _CHILD_HARD, _DIBAO), 0.12),
    Community("dongshengxiang", "东笙巷社区", (_OLD, _ALONE, _DISABLED, _NEST), 0.15),
), 1.0, new=False)

XINHUA = Station("xinhualu-station", "新华路街道社工站", "xinhualu", "新华路街道", "xinhua", (
    Community("fushuinanlu", "富水南路社区", (_ALONE, _NEST, _DIBAO)),
    Community("youyilu", "友谊路社区", (_DIBAO, _DISABLED, _CHILD)),
    Community("xinhualu", "新华路社区", (_OLD, _ALONE, _TEKUN)),
), 0.4)

SHACHONG = Station("shachonglu-station", "沙冲路街道社工站", "shachonglu", "沙冲路街道",
                   "shachong", (
    Community("shachongnanlu", "沙冲南路社区", (_DIBAO, _CHILD, _NEST)),
    Community("xiaochehe", "小车河社区", (_CHILD, _CHILD_HARD, _DIBAO)),
    Community("shachongdonglu", "沙冲东路社区", (_ALONE, _OLD, _DISABLED)),
), 0.3)

STATIONS = (XIHULU, XINHUA, SHACHONG)

# Xihu Road's year at the report's scale (scale 1.0): the counts the generator aims at.
# Other stations take `Station.size` of these; `--demo-scale` multiplies them all.
TARGETS = {
    "residents": 190, "visits": 290, "consolations": 70, "cases": 9, "activities": 96,
    "groups": 3, "group_sessions": 4, "person_times": 15_700, "organizations": 16,
    "members": 429, "party_members": 77, "volunteers": 40, "service_logs": 80,
    "partners": 18, "donations": 42, "resources_rmb": 155_000, "wishes": 30, "needs": 30,
    "card_changes": 14, "weekly_meetings": 16, "street_meetings": 12,
    "community_visits": 21, "consultations": 10, "suggestions": 6,
}

# The source report's figures (Xihu Road station) as the end screen shows them, keyed
# by what the loader reads back from the reporting service.
REPORT = (
    ("cases", "个案 cases", "9"),
    ("visits", "探访慰问 visits and consolations", "350+"),
    ("activities", "社区活动 activities held", "100+"),
    ("person_times", "服务人次 person-times", "约 15,700"),
    ("organizations", "社区社会组织 organizations", "16"),
    ("members", "成员 members", "429"),
    ("party_members", "其中党员 party members", "77"),
    ("resources_rmb", "链接资源 resources (RMB)", "约 155,000"),
    ("weekly_meetings", "周例会 weekly meetings", "16"),
    ("supervisions", "团队督导 supervisions", "每月≥1"),
)

# The seed's projects (五社联动) and the area each belongs to (4+N).
PROJECTS = (
    ("公益集市", "governance"), ("微心愿", "children"), ("乐童公社", "children"),
    ("公益联盟", "governance"), ("适老化家电", "elderly"), ("楹联文化课堂", "culture"),
    ("学校放假社区开学", "children"), ("关爱困境群体", "assistance"),
)
N_AREAS = (("culture", "Culture", "文化"),)

ACTIVITY_TITLES = {
    "elderly": ("重阳节茶话会", "长者生日会", "防诈骗讲座", "健康义诊", "智能手机课堂", "适老化家电进家门"),
    "children": ("乐童公社周末课堂", "暑期托管", "安全知识小课堂", "亲子阅读会", "微心愿认领会",
                 "学校放假社区开学"),
    "assistance": ("低保政策宣讲", "困难家庭慰问", "就业技能培训", "法律援助咨询"),
    "governance": ("公益集市", "邻里议事会", "公益联盟联席会", "垃圾分类宣传", "社区环境整治"),
    "culture": ("楹联文化课堂", "甲秀楼杯楹联比赛", "红色文化讲堂", "书法交流"),
}
GROUPS = (("乐童公社成长小组", "children"), ("长者互助小组", "elderly"),
          ("楹联兴趣小组", "culture"))

ORGANIZATIONS = (
    ("夕阳红舞蹈队", "dance"), ("楹联学社", "couplets"), ("邻里互助会", "mutual_aid"),
    ("红色宣讲团", "volunteer_team"), ("书法协会", "calligraphy"), ("读书会", "reading"),
    ("巾帼志愿服务队", "volunteer_team"), ("老年合唱团", "choir"), ("太极拳队", "sports"),
    ("乐童家长会", "mutual_aid"), ("环保志愿队", "volunteer_team"), ("银龄互助社", "mutual_aid"),
    ("腰鼓队", "dance"), ("健康管理小组", "health"), ("青年志愿者协会", "volunteer_team"),
    ("棋牌文化社", "culture"),
)

PARTNERS = (
    ("爱心超市", "business", None), ("南明区民政局", "government", "civil_affairs"),
    ("区妇联", "government", "womens_federation"), ("团区委", "government", "youth_league"),
    ("区计生协会", "government", "family_planning"), ("省人民医院", "charity", None),
    ("西湖路小学", "school", None), ("南明区慈善会", "charity", None),
    ("贵阳银行南明支行", "business", None), ("永辉超市", "business", None),
    ("社区药房", "business", None), ("南明实验中学", "school", None),
    ("公益联盟", "social_org", None), ("红十字会", "charity", None),
    ("电器商城", "business", None), ("物业公司", "business", None),
    ("志愿者协会", "social_org", None), ("老年大学", "school", None),
)
IN_KIND = (("大米", "袋"), ("食用油", "桶"), ("棉被", "床"), ("书包", "个"),
           ("电暖器", "台"), ("血压计", "个"), ("图书", "册"), ("冬衣", "件"))
WISHES = ("一件冬衣", "一套课外书", "一个书包", "一台电暖器", "一副老花镜", "一次理发上门",
          "一双棉鞋", "一个血压计", "学习台灯", "轮椅维修")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ("秀英", "桂兰", "建国", "玉珍", "淑芬", "德明", "志强", "丽华", "国华", "凤英",
         "文博", "子涵", "梓萱", "浩然", "雨桐", "家豪", "欣怡", "明轩", "春梅", "长青",
         "正华", "秀兰", "桂芳", "玉兰", "建华", "金凤", "永福", "德胜", "思远", "一诺")
