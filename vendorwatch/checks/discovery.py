"""Find every check by walking the control packages (``vendorwatch/checks/c3_2_N/*.py``).

Nothing lists checks by hand: a new module with a ``@check`` function is part of the catalog.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from vendorwatch.checks.model import Check

CONTROL_PACKAGE_PREFIX = "c3_2_"


@cache
def discover_checks() -> tuple[Check, ...]:
    """All checks, ordered by control then id; a duplicate id is a programming error."""
    import vendorwatch.checks as package

    found: dict[str, Check] = {}
    for control in pkgutil.iter_modules(package.__path__):
        if not (control.ispkg and control.name.startswith(CONTROL_PACKAGE_PREFIX)):
            continue
        control_package = importlib.import_module(f"vendorwatch.checks.{control.name}")
        expected_control = control.name.removeprefix("c").replace("_", ".")
        for family in pkgutil.iter_modules(control_package.__path__):
            module = importlib.import_module(f"vendorwatch.checks.{control.name}.{family.name}")
            for value in vars(module).values():
                if not isinstance(value, Check) or value.module != module.__name__:
                    continue
                if value.meta.control != expected_control:
                    raise RuntimeError(f"{value.id} declares control {value.meta.control} but lives in {control.name}")
                if value.id in found:
                    raise RuntimeError(f"check id {value.id} is defined twice ({found[value.id].module}, {value.module})")
                found[value.id] = value
    return tuple(sorted(found.values(), key=lambda c: (c.meta.control, c.id)))


def checks_by_id() -> dict[str, Check]:
    """The catalog as a mapping from check id."""
    return {c.id: c for c in discover_checks()}
