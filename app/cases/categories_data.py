"""Seed data of the case category tree, with time limits in working hours.

Codes: a kind letter, then the major class, then the minor class, two digits each —
`C` for components (部件), `E` for events (事件), `S` for community affairs (社区事务).
The digits of components and events follow the numbering of the 数字城管 standard
(CJ/T 214-2007, carried into GB/T 30428.2): components 01 公共设施 … 04 园林绿化设施, events
01 市容环境 … 05 街面秩序, minors such as 0101 上水井盖 or 0504 店外经营. The letter is ours:
the standard numbers components and events separately, so `01` alone is ambiguous. Minor
codes 90–98 are local extensions and 99 is "other", as deployed systems do; the `S` branch,
其他设施 (C06), 其他 (E06) and their minors are our own numbering. Names are Chinese, codes ASCII.

Limits: emergencies and open manholes 2–4 h, everyday street issues 4–24 h, construction,
advertising and illegal building 24–72 h. Parents carry no limit; every leaf has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CategoryKind = Literal["component", "event", "community"]


@dataclass(frozen=True, slots=True)
class CategorySeed:
    code: str
    name: str
    parent_code: str | None
    kind: CategoryKind
    time_limit_hours: float | None
    sort: int


# (code, name, kind, [(minor code, name, working hours), ...]) in display order.
_Leaf = tuple[str, str, float]
_TREE: tuple[tuple[str, str, CategoryKind, tuple[_Leaf, ...]], ...] = (
    ("C01", "公共设施", "component", (
        ("C0101", "上水井盖", 4),
        ("C0102", "污水井盖", 4),
        ("C0103", "雨水井盖", 4),
        ("C0104", "雨水箅子", 8),
        ("C0105", "电力井盖", 4),
        ("C0113", "消防设施", 8),
        ("C0118", "路灯", 24),
        ("C0126", "健身设施", 24),
    )),
    ("C02", "交通设施", "component", (
        ("C0203", "公交站亭", 24),
        ("C0205", "过街天桥", 24),
        ("C0209", "交通标志牌", 24),
        ("C0211", "交通护栏", 24),
        ("C0213", "路名牌", 48),
        ("C0214", "交通信号灯", 8),
    )),
    ("C03", "市容环境设施", "component", (
        ("C0301", "公共厕所", 8),
        ("C0304", "垃圾间", 8),
        ("C0305", "垃圾箱", 8),
        ("C0306", "灯箱霓虹灯", 24),
        ("C0307", "广告牌匾", 24),
    )),
    ("C04", "园林绿化设施", "component", (
        ("C0401", "古树名木", 8),
        ("C0402", "行道树", 16),
        ("C0404", "花架花钵", 48),
        ("C0405", "绿地", 24),
        ("C0406", "雕塑", 48),
        ("C0407", "街头座椅", 24),
    )),
    ("C06", "其他设施", "component", (
        ("C0601", "宣传栏", 48),
        ("C0602", "监控电子眼", 24),
        ("C0603", "电动自行车充电桩", 24),
        ("C0604", "无障碍设施", 24),
        ("C0699", "其他设施问题", 48),
    )),
    ("E01", "市容环境", "event", (
        ("E0101", "私搭乱建", 72),
        ("E0102", "暴露垃圾", 4),
        ("E0103", "积存垃圾渣土", 8),
        ("E0104", "道路不洁", 8),
        ("E0106", "绿地脏乱", 8),
        ("E0107", "废弃车辆", 48),
        ("E0108", "废弃家具设备", 24),
        ("E0109", "非装饰性树挂", 24),
    )),
    ("E02", "宣传广告", "event", (
        ("E0201", "非法小广告", 24),
        ("E0202", "违章张贴悬挂广告牌匾", 72),
        ("E0203", "占道广告牌", 48),
        ("E0204", "街头散发广告", 8),
    )),
    ("E03", "施工管理", "event", (
        ("E0301", "施工扰民", 24),
        ("E0302", "工地扬尘", 24),
        ("E0303", "施工废弃料", 48),
        ("E0304", "施工占道", 24),
        ("E0305", "无证掘路", 24),
    )),
    ("E04", "突发事件", "event", (
        ("E0401", "路面塌陷", 2),
        ("E0402", "自来水管破裂", 2),
        ("E0403", "燃气管道破裂", 2),
        ("E0404", "下水道堵塞或破损", 4),
        ("E0406", "道路积水", 4),
        ("E0407", "道路积雪结冰", 4),
        ("E0408", "架空线缆损坏", 2),
    )),
    ("E05", "街面秩序", "event", (
        ("E0501", "无照经营游商", 8),
        ("E0504", "店外经营", 8),
        ("E0590", "占道经营", 8),
        ("E0505", "机动车乱停放", 8),
        ("E0506", "非机动车乱停放", 8),
        ("E0507", "乱堆物堆料", 8),
        ("E0510", "露天烧烤", 4),
        ("E0511", "沿街晾挂", 8),
    )),
    ("E06", "其他", "event", (
        ("E0601", "餐饮油烟", 24),
        ("E0602", "噪声扰民", 8),
        ("E0603", "焚烧垃圾树叶", 4),
        ("E0699", "其他事件", 24),
    )),
    ("S01", "邻里纠纷", "community", (
        ("S0101", "噪声扰邻", 24),
        ("S0102", "楼道公共空间占用", 24),
        ("S0103", "漏水渗水纠纷", 24),
        ("S0104", "宠物饲养纠纷", 24),
        ("S0105", "停车纠纷", 24),
        ("S0106", "家庭矛盾", 24),
    )),
    ("S02", "安全隐患", "community", (
        ("S0201", "电梯故障困人", 2),
        ("S0202", "燃气泄漏隐患", 2),
        ("S0203", "消防通道堵塞", 4),
        ("S0204", "电动车楼道停放及飞线充电", 8),
        ("S0205", "房屋结构安全隐患", 4),
        ("S0206", "高空坠物隐患", 4),
    )),
    ("S03", "民生诉求", "community", (
        ("S0301", "物业服务", 24),
        ("S0302", "水电气暖供应", 8),
        ("S0303", "社会保障事务", 24),
        ("S0304", "就业帮扶", 40),
        ("S0305", "政策咨询", 24),
    )),
    ("S04", "重点人群关怀", "community", (
        ("S0401", "独居老人关怀", 8),
        ("S0402", "残疾人帮扶", 24),
        ("S0403", "困难家庭帮扶", 24),
        ("S0404", "留守儿童关爱", 24),
        ("S0405", "严重精神障碍患者随访", 8),
    )),
    ("S05", "出租房屋与流动人口", "community", (
        ("S0501", "出租房屋信息变更", 40),
        ("S0502", "流动人口登记", 40),
        ("S0503", "群租隐患", 24),
    )),
)


def _flatten() -> tuple[CategorySeed, ...]:
    rows: list[CategorySeed] = []
    for major_sort, (code, name, kind, leaves) in enumerate(_TREE, start=1):
        rows.append(CategorySeed(code, name, None, kind, None, major_sort))
        rows.extend(
            CategorySeed(leaf_code, leaf_name, code, kind, float(hours), minor_sort)
            for minor_sort, (leaf_code, leaf_name, hours) in enumerate(leaves, start=1)
        )
    return tuple(rows)


# Parents come before their children, so inserting in this order satisfies the foreign key.
CATEGORIES: tuple[CategorySeed, ...] = _flatten()
CATEGORIES_BY_CODE: dict[str, CategorySeed] = {c.code: c for c in CATEGORIES}
