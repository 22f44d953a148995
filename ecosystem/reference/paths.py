"""Where the project's files live: the repository root and its data folders, defined once for every package
(``ecosystem``, ``sim`` and ``dashboard`` import them from ``ecosystem.reference``)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "data"
REFERENCE_DIR = DATA_DIR / "reference"
PROFILE_DIR = DATA_DIR / "profiles"
