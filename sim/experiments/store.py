"""The sweep results store: Parquet files under one directory, queried with DuckDB.

Layout of a sweep directory ``DIR``::

    DIR/manifest.json            the spec, the resolved base scenario, seeds, package versions, and per session:
                                 start/end times, host names, executor, timings (never in the result rows)
    DIR/design.parquet           the design points: point_id and one column per parameter
    DIR/results/part-*.parquet   one file per finished batch: run_id, point_id, replicate, seed, parameters, outcomes
    DIR/series/part-*.parquet    the same batches' monthly series: run_id, step, selected metrics columns
    DIR/failures/part-*.parquet  runs that raised: run_id, point_id, replicate, seed, parameters, error (one line
                                 naming the month and the stage); a --resume runs them again
    DIR/.lock                    held (flock) by the one sweep writing here; names its pid, host and start time

Every file is written to a temporary name and moved into place with ``os.replace``, so a reader (the dashboard
browsing a running sweep) never sees half a file, and a sweep killed at any moment leaves only whole batches. A
batch's series file is written before its results file; the results file marks the batch done. Rows depend only on
the spec and the seeds, so two sweeps of one spec hold identical rows (``runs()`` sorts by run_id).

Query with DuckDB directly (``SELECT * FROM read_parquet('DIR/results/*.parquet')``) or through
``ResultsStore.query``, where the views ``runs``, ``series`` and ``design`` are defined. Parameter columns are named
by their dotted path; quote them in SQL: ``SELECT "market.api_margin", avg(tokens_served_final) FROM runs ...``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

import pandas as pd

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
RESULTS = "results"
SERIES = "series"
FAILURES = "failures"
LOCK = ".lock"
FORMAT = "llm-chain-lab-sweep/1"


class StoreError(ValueError):
    """A directory that is not a usable sweep store (message names the path and what is wrong)."""


class StoreLocked(StoreError):
    """Another process is writing to the store (message names it)."""


class WriterLock:
    """The exclusive right to write a sweep directory: ``flock`` on ``DIR/.lock``, released when the holder ends
    (even if it is killed), so a second sweep into the same directory is refused, naming the first."""

    def __init__(self, directory: str | Path):
        self.path = Path(directory) / LOCK
        self._fh = None

    def acquire(self) -> None:
        import fcntl

        fh = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            owner = fh.read().strip() or "another process"
            fh.close()
            raise StoreLocked(f"--out: {str(self.path.parent)!r} is being written by {owner}; allowed: wait for it "
                              "to finish (or stop it), then --resume; or choose another --out directory") from None
        fh.seek(0)
        fh.truncate()
        import datetime as _dt
        import socket

        fh.write(f"pid {os.getpid()} on {socket.gethostname()} since "
                 f"{_dt.datetime.now().astimezone().isoformat(timespec='seconds')}")
        fh.flush()
        os.set_inheritable(fh.fileno(), False)
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            self._fh.truncate(0)
            self._fh.close()  # closing the file drops the flock
            self._fh = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


@contextmanager
def _atomic_open(path: Path) -> Iterator[BinaryIO]:
    """A file to write ``path`` through: a temporary name, synced and moved into place when the block ends."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    with _atomic_open(path) as fh:
        fh.write(data)


def _atomic_write_table(path: Path, frame: pd.DataFrame, schema=None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    with _atomic_open(path) as fh:
        pq.write_table(table, fh, compression="zstd")


def part_name(run_ids: Iterable[str]) -> str:
    """A batch's file name, from the run ids in it (deterministic, unique per batch)."""
    digest = hashlib.sha256("\n".join(sorted(run_ids)).encode()).hexdigest()[:16]
    return f"part-{digest}.parquet"


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _parts_sql(sub: Path) -> str:
    """DuckDB's table function over a directory's batch files."""
    return f"read_parquet('{_sql_path(sub)}/part-*.parquet')"


class ResultsStore:
    """A sweep directory, for writing (the runner) and reading (``sim.experiments.analysis``, the dashboard).

    ``runs()`` -> one row per finished run, sorted by run_id; ``series()`` -> monthly series (run_id, step, ...);
    ``progress()`` -> (runs done, runs in the sweep); ``query(sql)`` -> a DataFrame, with views ``runs``, ``series``
    and ``design``. Safe to read while a sweep writes.
    """

    def __init__(self, directory: str | Path):
        self.dir = Path(directory)
        self._lock = threading.Lock()

    # ---- paths --------------------------------------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.dir / MANIFEST

    @property
    def results_dir(self) -> Path:
        return self.dir / RESULTS

    @property
    def series_dir(self) -> Path:
        return self.dir / SERIES

    @property
    def failures_dir(self) -> Path:
        return self.dir / FAILURES

    def exists(self) -> bool:
        return self.manifest_path.exists()

    # ---- writing --------------------------------------------------------------------------------------------------

    def create(self, manifest: dict[str, Any], design: pd.DataFrame) -> None:
        """Start a new store: write the manifest and the design points."""
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self.series_dir.mkdir(parents=True, exist_ok=True)
        _atomic_write_table(self.dir / DESIGN, design)
        self.write_manifest(manifest)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        manifest = {"format": FORMAT, **{k: v for k, v in manifest.items() if k != "format"}}
        text = json.dumps(manifest, indent=2, sort_keys=False, default=str)
        with self._lock:
            _atomic_write_bytes(self.manifest_path, text.encode())

    def write_batch(self, runs: pd.DataFrame, series: pd.DataFrame | None = None, schema=None,
                    series_schema=None) -> str:
        """Store one finished batch: the series file first, then the results file (which marks the batch done)."""
        name = part_name(runs["run_id"])
        runs = runs.sort_values("run_id", kind="stable").reset_index(drop=True)
        if series is not None and len(series):
            series = series.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)
            _atomic_write_table(self.series_dir / name, series, series_schema)
        _atomic_write_table(self.results_dir / name, runs, schema)
        return name

    def write_failures(self, failures: pd.DataFrame) -> None:
        """Record a batch's failed runs (their inputs and the one-line error)."""
        if failures is None or not len(failures):
            return
        self.failures_dir.mkdir(parents=True, exist_ok=True)
        _atomic_write_table(self.failures_dir / part_name(failures["run_id"]), failures)

    def failures(self) -> pd.DataFrame:
        """The failed runs (run_id, point_id, replicate, seed, parameters, error), sorted by run_id."""
        parts = self._parts(self.failures_dir)
        if not parts:
            return pd.DataFrame(columns=["run_id", "point_id", "replicate", "seed", "error"])
        frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        return frame.drop_duplicates("run_id").sort_values("run_id", kind="stable").reset_index(drop=True)

    def clear_failures(self) -> int:
        """Forget recorded failures (a --resume runs them again)."""
        parts = self._parts(self.failures_dir)
        for p in parts:
            p.unlink(missing_ok=True)
        return len(parts)

    def duplicate_run_ids(self) -> int:
        """How many run ids are stored more than once (two writers at once, before the lock existed)."""
        import duckdb

        if not self._parts(self.results_dir):
            return 0
        sql = f"SELECT count(*) - count(DISTINCT run_id) FROM {_parts_sql(self.results_dir)}"
        with duckdb.connect() as con:
            return int(con.execute(sql).fetchone()[0])

    def check_unique(self) -> None:
        """Refuse a store with duplicate run ids (``analyze`` would average them twice)."""
        n = self.duplicate_run_ids()
        if n:
            raise StoreError(f"{self.dir}: {n} duplicate runs (one run id stored more than once, e.g. by two sweeps "
                             "writing at once); allowed: repair with `python -m sim sweep SPEC --out DIR --resume`")

    def repair_duplicates(self) -> int:
        """Keep one row per run id (rows of a run id are identical: they depend only on spec and seed): rewrite the
        results and series as one file each, then remove the old files. Returns the duplicate rows removed."""
        n = self.duplicate_run_ids()
        if not n:
            return 0
        old_results, old_series = self._parts(self.results_dir), self._parts(self.series_dir)
        runs = pd.concat([pd.read_parquet(p) for p in old_results], ignore_index=True)
        runs = runs.drop_duplicates("run_id").sort_values("run_id", kind="stable").reset_index(drop=True)
        name = "part-repaired-" + part_name(runs["run_id"])[len("part-"):]
        if old_series:
            series = pd.concat([pd.read_parquet(p) for p in old_series], ignore_index=True)
            series = series[series["run_id"].isin(set(runs["run_id"]))]
            series = series.drop_duplicates(["run_id", "step"]).sort_values(["run_id", "step"], kind="stable")
            _atomic_write_table(self.series_dir / name, series.reset_index(drop=True))
        _atomic_write_table(self.results_dir / name, runs)
        for p in old_results + old_series:
            if p.name != name:
                p.unlink(missing_ok=True)
        return n

    def clean_partial(self) -> int:
        """Remove what a killed sweep can leave behind: temporary files, and series files whose batch never finished
        (no results file of the same name). Returns how many files were removed."""
        removed = 0
        for sub in (self.results_dir, self.series_dir):
            if not sub.exists():
                continue
            for tmp in sub.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
                removed += 1
        if self.series_dir.exists():
            done = {p.name for p in self.results_dir.glob("part-*.parquet")}
            for orphan in self.series_dir.glob("part-*.parquet"):
                if orphan.name not in done:
                    orphan.unlink(missing_ok=True)
                    removed += 1
        return removed

    # ---- reading ------------------------------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        if not self.manifest_path.exists():
            raise StoreError(f"{self.dir}: not a sweep directory (no {MANIFEST}); allowed: the --out directory of "
                             "`python -m sim sweep`")
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise StoreError(f"{self.manifest_path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None

    def spec(self):
        from sim.experiments.spec import validate_spec

        return validate_spec(self.manifest()["spec"])

    def design(self) -> pd.DataFrame:
        path = self.dir / DESIGN
        if not path.exists():
            raise StoreError(f"{self.dir}: no {DESIGN}; allowed: the --out directory of `python -m sim sweep`")
        return pd.read_parquet(path)

    def _parts(self, sub: Path) -> list[Path]:
        return sorted(sub.glob("part-*.parquet")) if sub.exists() else []

    def _read(self, sub: Path, order: str, columns: list[str] | None = None, where: str = "") -> pd.DataFrame:
        import duckdb

        if not self._parts(sub):
            return self._empty(sub, columns)
        cols = ", ".join(sql_quote(c) for c in columns) if columns else "*"
        sql = f"SELECT {cols} FROM {_parts_sql(sub)} {where} ORDER BY {order}"
        with duckdb.connect() as con:
            return con.execute(sql).df()

    def _empty(self, sub: Path, columns: list[str] | None) -> pd.DataFrame:
        """An empty frame with the columns the store will hold (from the manifest)."""
        try:
            m = self.manifest()
        except StoreError:
            return pd.DataFrame(columns=columns or [])
        if sub == self.results_dir:
            cols = ["run_id", "point_id", "replicate", "seed"] + list(m.get("parameters", [])) + \
                list(m.get("outcome_columns", []))
        else:
            cols = ["run_id", "step"] + list(m.get("series_columns", []))
        return pd.DataFrame(columns=columns or cols)

    def runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every finished run, one row each, sorted by run_id."""
        return self._read(self.results_dir, "run_id", columns)

    def series(self, columns: list[str] | None = None, run_ids: list[str] | None = None) -> pd.DataFrame:
        """Monthly series of the finished runs (run_id, step, metrics), sorted by run_id then step."""
        cols = None if columns is None else ["run_id", "step"] + [c for c in columns if c not in ("run_id", "step")]
        where = ""
        if run_ids is not None:
            if not run_ids:
                return self._empty(self.series_dir, cols).iloc[0:0]
            ids = ", ".join("'" + re.sub(r"[^0-9a-f]", "", r) + "'" for r in run_ids)
            where = f"WHERE run_id IN ({ids})"
        return self._read(self.series_dir, "run_id, step", cols, where)

    def run_ids(self) -> set[str]:
        if not self._parts(self.results_dir):
            return set()
        return set(self._read(self.results_dir, "run_id", ["run_id"])["run_id"])

    def progress(self) -> tuple[int, int]:
        """(runs done, runs in the whole sweep)."""
        import duckdb

        total = int(self.manifest().get("total_runs", 0)) if self.exists() else 0
        if not self._parts(self.results_dir):
            return 0, total
        sql = f"SELECT count(*) FROM {_parts_sql(self.results_dir)}"
        with duckdb.connect() as con:
            done = int(con.execute(sql).fetchone()[0])
        return done, total

    def query(self, sql: str) -> pd.DataFrame:
        """Run SQL with DuckDB; the views ``runs``, ``series`` and ``design`` point at this store's files."""
        import duckdb

        with duckdb.connect() as con:
            for view, sub in (("runs", self.results_dir), ("series", self.series_dir)):
                if self._parts(sub):
                    con.execute(f"CREATE VIEW {view} AS SELECT * FROM {_parts_sql(sub)}")
                else:
                    con.register(view, self._empty(sub, None))
            if (self.dir / DESIGN).exists():
                con.execute(f"CREATE VIEW design AS SELECT * FROM read_parquet('{_sql_path(self.dir / DESIGN)}')")
            try:
                return con.execute(sql).df()
            except duckdb.Error as exc:
                raise StoreError(f"query: {str(exc).splitlines()[0]}") from None


def sql_quote(column: str) -> str:
    """A column name as a quoted SQL identifier (parameter columns are dotted paths)."""
    return '"' + column.replace('"', '""') + '"'
