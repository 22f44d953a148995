"""``--resume`` continues only the sweep that made the directory: a changed base scenario file (same spec file, same
seed) is refused, and what a killed sweep leaves behind (temporary files, series of batches whose results never
landed) is cleaned before the missing runs are run again, so the store ends with exactly the uninterrupted rows."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from sim.experiments import sweep
from sim.experiments.store import ResultsStore
from sim.scenario import load_scenario

SPEC = {
    "name": "resume-check",
    "base": {"scenario": "base.yaml"},
    "design": "grid",
    "parameters": {"clouds.price_markup": [0.8, 1.25]},
    "replicates": 2,
    "seed": 5,
    "outcomes": [{"metric": "tokens_served", "reduce": "final"}, {"metric": "co2_t", "reduce": "sum"}],
    "options": {"months": 6},
}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A complete 4-run sweep over a base scenario file, one run per batch, and its spec path."""
    root = tmp_path_factory.mktemp("resume")
    (root / "base.yaml").write_text(load_scenario("baseline").to_yaml())
    spec = root / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    summary = sweep.run_sweep(spec, root / "done", workers=1, batch_size=1)
    assert summary.status == "complete" and summary.new_runs == 4
    return root, spec


def _copy(root, name):
    shutil.copytree(root / "done", root / name)
    return root / name


def test_resume_refuses_a_store_made_from_a_different_base_scenario(finished):
    root, spec = finished
    out = _copy(root, "changed-base")
    base = root / "base.yaml"
    original = base.read_text()
    try:
        base.write_text(load_scenario("baseline").with_overrides({"market.api_margin": 0.9}).to_yaml())
        with pytest.raises(sweep.SweepError, match=r"--resume: .* holds a different sweep.*same spec and base"):
            sweep.run_sweep(spec, out, workers=1, resume=True)
    finally:
        base.write_text(original)
    assert sweep.run_sweep(spec, out, workers=1, resume=True).new_runs == 0  # the same base resumes


def test_resume_cleans_partial_batches_and_reruns_them(finished):
    root, spec = finished
    done = ResultsStore(root / "done")
    out = _copy(root, "killed")
    store = ResultsStore(out)
    parts = sorted(store.results_dir.glob("part-*.parquet"))
    assert len(parts) == 4
    # a kill between the series file and the results file of a batch: its series stays, its results do not
    parts[0].unlink()
    # and a kill of a session with another batch size: a series file no results file will ever match
    series_part = sorted(store.series_dir.glob("part-*.parquet"))[1]
    shutil.copy(series_part, store.series_dir / "part-ffffffffffffffff.parquet")
    (store.results_dir / ".part-x.parquet.42.tmp").write_bytes(b"half a file")
    (store.series_dir / ".part-y.parquet.42.tmp").write_bytes(b"half a file")
    assert store.progress() == (3, 4)

    summary = sweep.run_sweep(spec, out, workers=1, resume=True)
    assert (summary.resumed_runs, summary.new_runs) == (3, 1)
    pd.testing.assert_frame_equal(store.runs(), done.runs(), check_exact=True)
    pd.testing.assert_frame_equal(store.series(), done.series(), check_exact=True)
    assert sorted(p.name for p in store.series_dir.iterdir()) == sorted(p.name for p in done.series_dir.iterdir())
    assert not list(out.rglob("*.tmp"))
