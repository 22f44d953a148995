"""Scenario YAML in: parse with the line and column of a syntax error, then validate (``Scenario.to_yaml`` writes
it back out)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Scenario, validate_scenario


MAX_YAML_BYTES = 1_000_000  # a scenario or sweep file is a few KB; larger input is refused before parsing
MAX_YAML_DEPTH = 32  # nesting levels of mappings and lists (a scenario uses 4)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # PyYAML's safe loader, on libyaml when it is built in


def read_yaml_file(path: str | Path, error: type[ValueError]) -> str:
    """The text of a YAML file, refused (naming the file) when too large, binary or not UTF-8."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise error([f"file: {str(path)!r} is {size:,} bytes; allowed: at most {MAX_YAML_BYTES:,}"])
        data = path.read_bytes()
    except OSError as exc:
        raise error([f"file: {str(path)!r} cannot be read ({exc.strerror or exc})"]) from None
    return decode_yaml_bytes(data, str(path), error)


def decode_yaml_bytes(data: bytes, filename: str, error: type[ValueError]) -> str:
    """Uploaded or read bytes to text: refused (naming the file) when too large, binary or not UTF-8."""
    if len(data) > MAX_YAML_BYTES:
        raise error([f"file: {filename!r} is {len(data):,} bytes; allowed: at most {MAX_YAML_BYTES:,}"])
    nul = data.find(b"\x00")
    if nul >= 0:
        raise error([f"file: {filename!r} is binary (byte {nul} is NUL); allowed: a YAML text file"])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error([f"file: {filename!r} is not UTF-8 text (byte {exc.start}); allowed: a YAML text file"]) from None


def _check_shape(text: str, error: type[ValueError]) -> None:
    """Size, nesting depth and aliases, checked on the event stream (which does not recurse) before building data."""
    if len(text) > MAX_YAML_BYTES:
        raise error([f"file: {len(text):,} characters; allowed: at most {MAX_YAML_BYTES:,}"])
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                line = event.start_mark.line + 1
                raise error([f"file: nested more than {MAX_YAML_DEPTH} levels deep at line {line}; allowed: at "
                             f"most {MAX_YAML_DEPTH}"])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            raise error([f"file: YAML alias *{event.anchor} at line {event.start_mark.line + 1}; allowed: plain "
                         "values (no anchors and aliases)"])


def parse_yaml(text: str, error: type[ValueError], empty_hint: str) -> Any:
    """YAML text to data; ``error([message])`` naming the line and column of a syntax error, or an empty file, or
    a file too large, too deeply nested or using aliases."""
    try:
        _check_shape(text, error)
        data = yaml.load(text, Loader=_LOADER)  # the safe loader (libyaml's C one where installed: ~10x faster)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error([f"file: not valid YAML{where}: {getattr(exc, 'problem', exc)}"]) from None
    if data is None:
        raise error([f"file: empty; allowed: {empty_hint}"])
    return data


def scenario_from_yaml(text: str) -> Scenario:
    """Parse and validate YAML text."""
    return validate_scenario(parse_yaml(text, ScenarioError, "a YAML mapping of scenario fields"))

