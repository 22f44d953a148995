"""The sweep results store through its public API on hand-made batches: what goes in comes out sorted by run id,
whole batches only, the manifest round-trips, SQL views answer hand-checked sums, and clear errors name the path."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from sim.experiments.store import FORMAT, ResultsStore, StoreError, part_name, sql_quote

MANIFEST = {"name": "hand", "total_runs": 5, "parameters": ["market.api_margin"], "outcome_columns": ["y"],
            "series_columns": ["tokens_served"]}


def rows(ids, y):
    return pd.DataFrame({"run_id": ids, "point_id": [int(i, 16) % 2 for i in ids], "replicate": 0,
                         "seed": [int(i, 16) for i in ids], "market.api_margin": [0.5] * len(ids), "y": y})


def series(ids):
    return pd.DataFrame({"run_id": [i for i in ids for _ in range(2)], "step": [0, 1] * len(ids),
                         "tokens_served": [float(k) for k in range(2 * len(ids))]})


@pytest.fixture()
def store(tmp_path):
    s = ResultsStore(tmp_path / "sweep")
    s.create(MANIFEST, pd.DataFrame({"point_id": [0, 1], "market.api_margin": [0.5, 0.5]}))
    return s


def test_an_empty_store_has_the_manifests_columns(store):
    assert store.exists() and store.progress() == (0, 5) and store.run_ids() == set()
    assert list(store.runs().columns) == ["run_id", "point_id", "replicate", "seed", "market.api_margin", "y"]
    assert list(store.series().columns) == ["run_id", "step", "tokens_served"]
    assert store.runs().empty and store.series().empty
    assert store.manifest() == {"format": FORMAT, **MANIFEST}


def test_batches_come_back_sorted_whole_and_queryable(store):
    first = store.write_batch(rows(["0c", "0a"], [3.0, 1.0]), series(["0c", "0a"]))
    second = store.write_batch(rows(["0b", "0d", "0e"], [2.0, 4.0, 5.0]), series(["0b", "0d", "0e"]))
    assert first == "part-" + hashlib.sha256(b"0a\n0c").hexdigest()[:16] + ".parquet"
    assert first == part_name(["0a", "0c"]) == part_name(["0c", "0a"]) != second
    runs = store.runs()
    assert runs.run_id.tolist() == ["0a", "0b", "0c", "0d", "0e"] and runs.y.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert store.runs(columns=["run_id", "y"]).columns.tolist() == ["run_id", "y"]
    assert store.progress() == (5, 5) and store.run_ids() == {"0a", "0b", "0c", "0d", "0e"}
    s = store.series()
    assert list(zip(s.run_id, s.step))[:4] == [("0a", 0), ("0a", 1), ("0b", 0), ("0b", 1)]
    picked = store.series(columns=["tokens_served"], run_ids=["0d", "0a"])
    assert picked.run_id.tolist() == ["0a", "0a", "0d", "0d"] and picked.columns.tolist() == [
        "run_id", "step", "tokens_served"]
    assert store.series(run_ids=[]).empty
    total = store.query('SELECT sum(y) AS y, count(*) AS n, max("market.api_margin") AS m FROM runs')
    assert total.iloc[0].tolist() == [15.0, 5, 0.5]
    assert store.query("SELECT count(*) AS n FROM series").n.iloc[0] == 10
    assert store.query("SELECT count(*) AS n FROM design").n.iloc[0] == 2
    with pytest.raises(StoreError, match="^query: "):
        store.query("SELECT nope FROM runs")


def test_manifest_rewrites_and_clear_errors(tmp_path, store):
    store.write_manifest({**MANIFEST, "sessions": [{"status": "complete"}]})
    assert store.manifest()["sessions"] == [{"status": "complete"}] and store.manifest()["format"] == FORMAT
    assert not list(store.dir.rglob("*.tmp"))  # written through a temporary name, nothing left behind
    nowhere = ResultsStore(tmp_path / "nothing")
    assert not nowhere.exists() and nowhere.progress() == (0, 0)
    with pytest.raises(StoreError, match="not a sweep directory"):
        nowhere.manifest()
    with pytest.raises(StoreError, match="no design.parquet"):
        nowhere.design()
    store.manifest_path.write_text("{broken")
    with pytest.raises(StoreError, match="not valid JSON"):
        store.manifest()
    assert sql_quote('a"b') == '"a""b"' and sql_quote("market.api_margin") == '"market.api_margin"'


def test_clean_partial_keeps_finished_batches(store):
    done = store.write_batch(rows(["0a"], [1.0]), series(["0a"]))
    orphan = store.write_batch(rows(["0b"], [2.0]), series(["0b"]))
    (store.results_dir / orphan).unlink()  # killed between its series file and its results file
    (store.series_dir / ".part-z.parquet.1.tmp").write_bytes(b"x")
    assert store.clean_partial() == 2
    assert sorted(p.name for p in store.series_dir.iterdir()) == [done]
    assert store.series().run_id.unique().tolist() == ["0a"] and store.clean_partial() == 0
