"""Invalid input, one message per problem: ``ScenarioError``, and pydantic's errors turned into messages that name
the field, the value and what is allowed (``validate_mapping`` also serves the sweep specs)."""

from __future__ import annotations

from typing import Any, Callable

from pydantic import BaseModel, ValidationError


class ScenarioError(ValueError):
    """An invalid scenario: ``problems`` holds one message per problem, naming the field, the value and the rule."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid scenario:\n" + "\n".join(f"  - {p}" for p in self.problems))


def format_error(err: dict) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("function-after",))
    msg = err.get("msg", "invalid")
    value = err.get("input")
    typ = err.get("type", "")
    if typ == "extra_forbidden":
        return f"{loc}: unknown field (not part of the scenario schema); remove it or check its spelling"
    if typ == "missing":
        return f"{loc}: required field is missing"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    rule = msg
    ctx = err.get("ctx") or {}
    if typ in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        rule = "allowed: " + msg.replace("Input should be ", "")
    elif typ == "literal_error":
        rule = "allowed: " + str(ctx.get("expected", msg))
    if isinstance(value, (dict, list)):  # a rule across several fields: name the section, not its contents
        return f"{loc or 'scenario'}: {rule}"
    return f"{loc or 'scenario'}: value {value!r} is not allowed; {rule}"


def validate_mapping(model: type[BaseModel], data: Any, error: type[ValueError], what: str,
                     format_error: Callable[[dict], list[str]]) -> Any:
    """``model`` from plain data, or ``error(problems)`` listing every problem (``format_error``: the messages for
    one pydantic error)."""
    if not isinstance(data, dict):
        raise error([f"{what}: expected a mapping of fields, got {type(data).__name__}"])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error([p for e in exc.errors(include_url=False) for p in format_error(e)]) from None

