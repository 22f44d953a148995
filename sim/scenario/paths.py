"""Dotted paths into a scenario (``market.api_margin``, ``market.demand.chatbot.growth_per_month``): the numeric
fields with their bounds (``Scenario.numeric_fields``, for sweeps, calibration and the dashboard's levers) and
setting a path in plain scenario data (``Scenario.with_overrides``), switching an optional section on when one of its
fields is set. Generic over the pydantic models of ``sim.scenario.schema``."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel

from sim.scenario.errors import ScenarioError


def collect_numeric(model_cls: type[BaseModel], prefix: str, out: dict, values: dict) -> None:
    """Into ``out``: each numeric field below ``model_cls`` by dotted path, with its (type, lower, upper) bounds."""
    for name, info in model_cls.model_fields.items():
        path = f"{prefix}{name}"
        value = values.get(name) if isinstance(values, dict) else None
        ann = info.annotation
        sub = _submodel(ann)
        if sub is not None and isinstance(value, dict):
            collect_numeric(sub, path + ".", out, value)
            continue
        optional = _optional_submodel(ann)
        if optional is not None and value is None:  # an optional section (off by default): its fields' defaults
            collect_numeric(optional, path + ".", out, optional().model_dump(mode="python"))
            continue
        if isinstance(value, dict) and name == "demand":  # dict[str, CategoryDemand]: a section per category
            item = get_args(ann)[1]
            for cat, cat_values in value.items():
                collect_numeric(item, f"{path}.{cat}.", out, cat_values)
            continue
        if isinstance(value, dict) and name == "fleet":
            for hw in value:
                out[f"{path}.{hw}"] = (int, 1, 10_000_000)
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if not (ann in (float | None, int | None) and value is None):
                continue
        lo = hi = None
        for meta in info.metadata:
            for attr in ("ge", "gt"):
                if getattr(meta, attr, None) is not None:
                    lo = getattr(meta, attr)
            for attr in ("le", "lt"):
                if getattr(meta, attr, None) is not None:
                    hi = getattr(meta, attr)
        kind = int if (isinstance(value, int) and not isinstance(value, bool)) or ann in (int, int | None) else float
        out[path] = (kind, lo, hi)


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _optional_submodel(annotation: Any) -> type[BaseModel] | None:
    args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    if len(args) == 1 and type(None) in getattr(annotation, "__args__", ()):
        return _submodel(args[0])
    return None


def switch_on_sections(model_cls: type[BaseModel], data: dict, path: str) -> None:
    """Setting a field of an optional section that is off (``None``) switches the section on with its defaults, so
    ``numeric_fields()`` paths of optional sections can be overridden (sweeps, calibration, the dashboard)."""
    node, cls = data, model_cls
    for part in path.split(".")[:-1]:
        info = cls.model_fields.get(part) if cls is not None else None
        if info is None or not isinstance(node, dict):
            return
        optional = _optional_submodel(info.annotation)
        if optional is not None and node.get(part) is None:
            node[part] = optional().model_dump(mode="json")
        cls = optional or _submodel(info.annotation)
        node = node.get(part)


def set_path(data: dict, path: str, value: Any) -> None:
    """Set the dotted ``path`` in plain scenario data; ``ScenarioError`` naming the path when there is no such field."""
    parts = path.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError([f"{path}: no such field ({'.'.join(parts[: i + 1])} is not a list index)"])
            node = node[int(part)]
        elif isinstance(node, dict) and part in node and isinstance(node[part], (dict, list)):
            node = node[part]
        else:
            raise ScenarioError([f"{path}: no such field; '{part}' is not a section of the scenario"])
    last = parts[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise ScenarioError([f"{path}: no such list index"])
        node[int(last)] = value
    elif isinstance(node, dict):
        if last not in node and path.split(".")[-2:-1] not in (["fleet"], ["demand"]):
            raise ScenarioError([f"{path}: no such field"])
        node[last] = value
    else:
        raise ScenarioError([f"{path}: no such field"])
