"""Names for the demo district: Jian'an district (建安区) of Xuchang, Henan.

Street offices and towns are the district's real ones; the urban communities beyond 幸福社区,
潩水社区 and 镜湖社区, and every person, are invented. Codes are what make the seed idempotent:
they are looked up before anything is created, so never renumber a code once it has shipped.
"""

from __future__ import annotations

DISTRICT = "建安区"

# (code, name) of the two street offices (街道办事处), each with its urban communities in order.
STREETS: list[tuple[str, str]] = [("JA-XY", "许由街道"), ("JA-XN", "新元街道")]
COMMUNITIES: dict[str, list[str]] = {
    "JA-XY": ["幸福社区", "潩水社区", "许由社区", "文峰社区", "毓秀社区", "鹿鸣社区", "学苑社区"],
    "JA-XN": ["镜湖社区", "新元社区", "锦华社区", "紫云社区", "清潩社区", "宏腾社区"],
}

# (code, name) of the thirteen towns and townships (乡镇); codes are pinyin initials.
TOWNS: list[tuple[str, str]] = [
    ("JA-LJ", "灵井镇"),
    ("JA-CC", "陈曹乡"),
    ("JA-JLJ", "蒋李集镇"),
    ("JA-WND", "五女店镇"),
    ("JA-JGC", "将官池镇"),
    ("JA-XZ", "小召乡"),
    ("JA-ZJ", "椹涧乡"),
    ("JA-ZP", "张潘镇"),
    ("JA-HJ", "河街乡"),
    ("JA-GC", "桂村乡"),
    ("JA-SQ", "苏桥镇"),
    ("JA-YL", "榆林乡"),
    ("JA-SJ", "尚集镇"),
]

NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]

SURNAMES = [
    "张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
]
GIVEN_NAMES = [
    "秀兰", "建国", "桂英", "志强", "玉梅", "国庆", "海燕", "建华", "丽娟", "卫东",
    "红霞", "明亮", "淑珍", "文斌", "春梅", "永刚", "晓燕", "德胜", "凤英", "新民",
    "小红", "振华", "翠花", "保国", "雪梅", "立新", "金凤", "长青", "秀英", "俊杰",
    "美玲", "宏伟", "素芳", "学军", "亚楠", "庆丰", "慧敏", "宝山", "月娥", "志刚",
]

# Chinese labels for the roles, used in the demo logins' display names.
ROLE_LABELS: dict[str, str] = {
    "district_admin": "区级管理员",
    "street_admin": "街道管理员",
    "community_admin": "社区管理员",
    "command_operator": "指挥中心操作员",
    "grid_head": "网格长",
    "grid_worker": "网格员",
    "party_instructor": "党建指导员",
    "unit_liaison": "单位联络员",
    "member": "党员",
    "volunteer": "志愿者",
    "auditor": "审计员",
}


def person_name(n: int) -> str:
    """A made-up but plausible name; the same `n` always gives the same name."""
    surname = SURNAMES[n % len(SURNAMES)]
    return surname + GIVEN_NAMES[(n * 7 + n // len(SURNAMES)) % len(GIVEN_NAMES)]
