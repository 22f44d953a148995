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


def test_column_selection_and_run_id_filter(store):
    store.write_batch(rows(["0a", "0b"], [1.0, 2.0]), series(["0a", "0b"]).assign(co2_t=7.0))
    assert store.runs().columns.tolist() == ["run_id", "point_id", "replicate", "seed", "market.api_margin", "y"]
    assert store.series().columns.tolist() == ["run_id", "step", "tokens_served", "co2_t"]
    assert store.series(columns=["co2_t"]).columns.tolist() == ["run_id", "step", "co2_t"]
    assert store.series(columns=["run_id", "step", "co2_t"]).columns.tolist() == ["run_id", "step", "co2_t"]
    assert store.series(columns=["co2_t"], run_ids=[]).columns.tolist() == ["run_id", "step", "co2_t"]
    assert store.series(run_ids=["0b"]).run_id.tolist() == ["0b", "0b"]
    # run ids are hex: anything else is stripped before it reaches SQL
    assert store.series(run_ids=["0a' OR '1'='1"]).empty
    assert store.runs(columns=["y"]).y.tolist() == [1.0, 2.0]


def test_an_empty_store_selects_the_asked_columns(store):
    assert store.runs(columns=["run_id", "y"]).columns.tolist() == ["run_id", "y"]
    assert store.query("SELECT count(*) AS n FROM runs").n.iloc[0] == 0
    assert store.query("SELECT count(*) AS n FROM series").n.iloc[0] == 0
    bare = ResultsStore(store.dir.parent / "bare")
    bare.create({"total_runs": 1}, pd.DataFrame({"point_id": [0]}))  # a manifest without column lists
    assert bare.runs().columns.tolist() == ["run_id", "point_id", "replicate", "seed"]
    assert bare.series().columns.tolist() == ["run_id", "step"]
    assert ResultsStore(store.dir.parent / "no-total").progress() == (0, 0)


def test_a_directory_name_with_a_quote(tmp_path):
    s = ResultsStore(tmp_path / "o'brien")
    s.create(MANIFEST, pd.DataFrame({"point_id": [0]}))
    s.write_batch(rows(["0a"], [1.0]), series(["0a"]))
    assert s.runs().y.tolist() == [1.0] and s.progress() == (1, 5) and s.run_ids() == {"0a"}
    assert s.query("SELECT count(*) AS n FROM runs").n.iloc[0] == 1


def test_design_spec_and_messages(tmp_path, store):
    assert store.design().point_id.tolist() == [0, 1]
    spec = {"name": "tiny", "base": {"scenario": "baseline"}, "design": "grid",
            "parameters": {"clouds.price_markup": [0.8, 1.25]}, "outcomes": [{"metric": "tokens_served"}]}
    store.write_manifest({**MANIFEST, "spec": spec})
    assert store.spec().name == "tiny" and store.spec().parameter_names == ["clouds.price_markup"]
    with pytest.raises(StoreError, match=r"nothing: not a sweep directory \(no manifest.json\); allowed: the --out "
                                         r"directory of `python -m sim sweep`$"):
        ResultsStore(tmp_path / "nothing").manifest()
    with pytest.raises(StoreError, match=r"^query: .*nope"):
        store.query("SELECT nope FROM runs")


def test_clean_partial_counts_every_file_it_removes(store):
    store.write_batch(rows(["0a"], [1.0]), series(["0a"]))
    for i in range(3):
        (store.results_dir / f".part-{i}.parquet.1.tmp").write_bytes(b"x")
    assert store.clean_partial() == 3
    store.results_dir.rename(store.dir / "gone")  # no results directory at all: the series' temporaries still go
    (store.series_dir / ".part-9.parquet.1.tmp").write_bytes(b"x")
    assert store.clean_partial() == 2  # the temporary and the series file no results file matches


def test_results_without_series_and_a_manifest_without_totals(tmp_path, store):
    store.write_batch(rows(["0a"], [1.0]))  # a batch with no monthly series
    assert store.runs().y.tolist() == [1.0] and store.series().empty
    assert store.query("SELECT count(y) AS n FROM runs").n.iloc[0] == 1
    empty = ResultsStore(tmp_path / "empty")
    empty.create({"parameters": ["market.api_margin"], "outcome_columns": ["y"]}, pd.DataFrame({"point_id": [0]}))
    assert empty.progress() == (0, 0)  # no total_runs in the manifest
    assert empty.query("SELECT count(y) AS n FROM runs").n.iloc[0] == 0  # the empty view has the run columns
