"""Behaviour is pinned: for every preset and seed 42, the Parquet files that ``python -m sim run`` writes are
byte-identical to the checksums committed in ``tests/sim/data/preset_checksums.json``.

The checksums were recorded before the restructuring (issue 10). A change that is meant to change the simulation's
behaviour regenerates them with ``python tests/sim/test_byte_identity.py --write`` and says so in its commit message.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from sim.runner import run
from sim.scenario import load_scenario, preset_names

CHECKSUMS = Path(__file__).parent / "data" / "preset_checksums.json"
FRAMES = ("metrics", "agents", "flows", "events")


def preset_checksums(name: str, out_dir: Path) -> dict[str, str]:
    result = run(load_scenario(name), seed=42)
    result.write(out_dir)
    return {f: hashlib.sha256((out_dir / f"{f}.parquet").read_bytes()).hexdigest() for f in FRAMES}


def _committed() -> dict:
    return json.loads(CHECKSUMS.read_text())


@pytest.mark.parametrize("name", sorted(_committed()))
def test_preset_parquet_files_are_byte_identical(name, tmp_path):
    assert preset_checksums(name, tmp_path) == _committed()[name]


def test_every_preset_is_pinned():
    assert sorted(_committed()) == sorted(preset_names())


if __name__ == "__main__" and "--write" in sys.argv:
    import tempfile

    out = {}
    for preset in preset_names():
        with tempfile.TemporaryDirectory() as d:
            out[preset] = preset_checksums(preset, Path(d))
    CHECKSUMS.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {CHECKSUMS}")
