"""Domain shape (STYLE.md): the errors a domain answers with live in its `errors.py`, one place to
read every `code` it can send. Core's own errors stay in core."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import app
from app.core.errors import AppError


def misplaced_errors() -> list[str]:
    out = []
    for info in pkgutil.walk_packages(app.__path__, "app."):
        module = importlib.import_module(info.name)
        if info.name.startswith("app.core.") or info.name.endswith(".errors"):
            continue
        out += [f"{info.name}.{name}" for name, obj in vars(module).items()
                if inspect.isclass(obj) and issubclass(obj, AppError)
                and obj.__module__ == info.name]
    return out


def test_domain_errors_are_defined_in_errors_modules():
    assert misplaced_errors() == []
