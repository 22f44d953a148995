"""Every output path flag of `python -m sim` and `python -m ecosystem` is checked before any work (issue 15): a
folder that does not exist, a file where a folder is needed (or the reverse), a place nobody may write; each gets
exit 2 and one line naming the flag, the path and why, no traceback, and nothing is simulated, trained or written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ecosystem import checks
from tests.sim.test_sweep import tiny

UNWRITABLE = Path("/sys/llmcl-robust-test")  # sysfs: no file can be created there, not even by root


def _commands(tmp: Path) -> dict[str, tuple[str, list[str], str]]:
    """name: (program, argv with {path} for the flag's value, kind of path)."""
    spec = tmp / "spec.yaml"
    spec.write_text(yaml.safe_dump(tiny()))
    (tmp / "fc").mkdir(exist_ok=True)  # the forecast's --out, when --cache is the path under test
    return {
        "sim run --out": ("sim", ["run", "baseline", "--out", "{path}"], "dir"),
        "sim sweep --out": ("sim", ["sweep", str(spec), "--out", "{path}", "--quiet", "--workers", "1"], "dir"),
        "sim calibrate --out": ("sim", ["calibrate", "history_2020", "--out", "{path}", "--quiet"], "dir"),
        "sim forecast --out": ("sim", ["forecast", "--out", "{path}", "--sets", "1", "--seeds", "1", "--months", "6",
                                       "--no-cache", "--quiet"], "dir"),
        "sim forecast --cache": ("sim", ["forecast", "--out", str(tmp / "fc"), "--cache", "{path}", "--sets", "1",
                                         "--seeds", "1", "--months", "6", "--quiet"], "dir"),
        "ecosystem probe --out": ("ecosystem", ["probe", "--test-mode", "--out", "{path}"], "file"),
        "ecosystem audit --report-md": ("ecosystem", ["audit", "--replicates", "1", "--report-md", "{path}"], "file"),
        "ecosystem audit --report-html": ("ecosystem", ["audit", "--replicates", "1", "--report-html", "{path}"],
                                          "file"),
    }


NAMES = ["sim run --out", "sim sweep --out", "sim calibrate --out", "sim forecast --out", "sim forecast --cache",
         "ecosystem probe --out", "ecosystem audit --report-md", "ecosystem audit --report-html"]
# (case, expected words) for each kind of path; {blocker} is an existing file
CASES = {
    "dir": [("{blocker}", "is a file; allowed: a directory"),
            ("{blocker}/out", "is not writable (Not a directory)"),
            (str(UNWRITABLE), "is not writable (")],
    "file": [("{tmp}", "is a directory"),
             ("{tmp}/missing/report.out", "cannot be written: folder '{tmp}/missing' does not exist"),
             ("{blocker}/report.out", "cannot be written: folder '{blocker}' is not a folder"),
             (f"{UNWRITABLE}.out", "is not writable (")],
}


def _main(program: str):
    if program == "sim":
        from sim.__main__ import main
    else:
        from ecosystem.__main__ import main
    return main


PARAMS = [(name, template, words) for name in NAMES
          for template, words in CASES["file" if name.startswith("ecosystem") else "dir"]]


@pytest.mark.parametrize("name, template, words", PARAMS)
def test_an_output_path_that_cannot_be_written_is_refused_before_any_work(name, template, words, tmp_path, capsys):
    program, argv, _ = _commands(tmp_path)[name]
    work = tmp_path / "work"
    work.mkdir()
    blocker = work / "blocker"
    blocker.write_text("a file in the way\n")
    path = template.format(blocker=blocker, tmp=work)
    before = sorted(tmp_path.rglob("*"))
    flag = name.split()[-1]
    rc = _main(program)([a.replace("{path}", path) for a in argv])
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err  # one line: no progress, no training, no run
    assert f"{flag}: {path!r}" in lines[0] and words.format(blocker=blocker, tmp=work) in lines[0], lines[0]
    assert out == ""
    assert sorted(tmp_path.rglob("*")) == before  # nothing written anywhere
    assert not UNWRITABLE.exists()


def test_check_output_file_accepts_a_new_or_existing_file_and_leaves_it_alone(tmp_path):
    new = tmp_path / "new.html"
    assert checks.check_output_file("--report-html", new) == new and not new.exists()
    old = tmp_path / "old.html"
    old.write_text("kept")
    assert checks.check_output_file("--report-html", old) == old and old.read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["old.html"]  # the write probe is removed


def test_check_output_dir_creates_the_directory(tmp_path):
    out = tmp_path / "a" / "b"
    assert checks.check_output_dir("--out", out) == out and out.is_dir() and list(out.iterdir()) == []
