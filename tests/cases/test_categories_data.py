"""The seeded case category tree is well-formed and covers the classes issue 3 names."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from app.cases.categories_data import CATEGORIES, CATEGORIES_BY_CODE, CategorySeed

KIND_LETTER = {"component": "C", "event": "E", "community": "S"}
TOP_LEVEL = {
    "component": {"公共设施", "交通设施", "市容环境设施", "园林绿化设施", "其他设施"},
    "event": {"市容环境", "宣传广告", "施工管理", "街面秩序", "突发事件", "其他"},
    "community": {"邻里纠纷", "安全隐患", "民生诉求", "重点人群关怀"},
}


def children() -> dict[str | None, list[CategorySeed]]:
    tree: dict[str | None, list[CategorySeed]] = defaultdict(list)
    for c in CATEGORIES:
        tree[c.parent_code].append(c)
    return tree


def leaves() -> list[CategorySeed]:
    tree = children()
    return [c for c in CATEGORIES if c.code not in tree]


def test_codes_are_unique():
    dupes = [code for code, n in Counter(c.code for c in CATEGORIES).items() if n > 1]
    assert dupes == []
    assert len(CATEGORIES_BY_CODE) == len(CATEGORIES)


def test_names_are_unique():
    dupes = [name for name, n in Counter(c.name for c in CATEGORIES).items() if n > 1]
    assert dupes == []


def test_codes_are_ascii_and_extend_the_parent_code():
    for c in CATEGORIES:
        assert re.fullmatch(r"[CES]\d{2}(\d{2})?", c.code), c.code
        assert c.code[0] == KIND_LETTER[c.kind], c.code
        if c.parent_code is not None:
            assert c.code.startswith(c.parent_code) and len(c.code) == 5, c.code


def test_names_are_chinese():
    for c in CATEGORIES:
        assert re.search(r"[\u4e00-\u9fff]", c.name), c.code


def test_every_parent_exists_and_comes_first():
    seen: set[str] = set()
    for c in CATEGORIES:
        if c.parent_code is not None:
            assert c.parent_code in seen, c.code
        seen.add(c.code)


def test_tree_has_two_levels():
    for c in CATEGORIES:
        if c.parent_code is not None:
            assert CATEGORIES_BY_CODE[c.parent_code].parent_code is None, c.code


def test_every_leaf_has_a_positive_limit():
    for c in leaves():
        assert c.time_limit_hours is not None and c.time_limit_hours > 0, c.code


def test_limits_are_realistic():
    for c in leaves():
        assert c.time_limit_hours is not None and 2 <= c.time_limit_hours <= 72, c.code
    emergencies = children()["E04"]
    assert emergencies and all((c.time_limit_hours or 0) <= 4 for c in emergencies)
    manholes = [c for c in leaves() if "井盖" in c.name]
    assert manholes and all((c.time_limit_hours or 0) <= 4 for c in manholes)


def test_all_named_top_level_classes_present():
    for kind, names in TOP_LEVEL.items():
        present = {c.name for c in children()[None] if c.kind == kind}
        assert names <= present, names - present


def test_each_top_level_class_has_three_to_eight_subcategories():
    tree = children()
    for top in tree[None]:
        assert 3 <= len(tree[top.code]) <= 8, top.name


def test_kind_matches_parent():
    for c in CATEGORIES:
        if c.parent_code is not None:
            assert c.kind == CATEGORIES_BY_CODE[c.parent_code].kind, c.code


def test_sort_is_unique_among_siblings():
    for parent, kids in children().items():
        sorts = [c.sort for c in kids]
        assert len(set(sorts)) == len(sorts), parent
