"""A run's per-agent and per-payment rows streamed to Parquet while it goes (``run(..., stream_to=DIR)``, the
``python -m sim run`` path), so that memory does not grow with the horizon.

Rows wait in compact numpy columns (ids, codes, amounts: about 30 bytes a payment, 20 an agent-step) and leave in
whole Parquet row groups of ``ROW_GROUP`` rows. Each row group becomes an Arrow table straight from those columns:
the type names are taken from their small dictionaries (``Array.take``), never spelled out row by row in a pandas
frame, so a spill costs about one row group of Arrow columns instead of several copies of a string frame. The schema
(with its pandas metadata) is the one pandas gives the same frame, so the files are byte-identical to what
``RunResult.write`` makes of an in-memory run (tests/sim/test_robust_inputs.py)."""

from __future__ import annotations

import ctypes
import os
import uuid
from collections import deque
from pathlib import Path

import numpy as np
import pandas as pd

from sim.ledger import CATEGORIES, Ledger

ROW_GROUP = 1024 * 1024  # rows per Parquet row group: pyarrow's default, so streamed files match written ones
EVENTS_CHUNK = 20_000  # events held as dicts before they are packed into a frame
_AGENT_COLUMNS = ("step", "agent_id", "agent_type", "cash_usd")
_FLOW_COLUMNS = ("step", "payer_id", "payer_type", "payee_id", "payee_type", "category", "amount_usd")


def events_frame(events: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(events, columns=["step", "kind", "agent_id", "agent_type", "detail"])


def empty_flows() -> pd.DataFrame:
    return Ledger().flows_frame()


def empty_agents() -> pd.DataFrame:
    return pd.DataFrame({"step": pd.Series(dtype="int32"), "agent_id": pd.Series(dtype="int64"),
                         "agent_type": pd.Series(dtype="str"), "cash_usd": pd.Series(dtype="float64")})


def agent_columns(agent_frames: list[tuple]) -> dict[str, np.ndarray]:
    """The model's held agent snapshots ``(step, ids, cash)`` as columns: step, agent_id, cash_usd."""
    return {"step": np.concatenate([np.full(len(ids), s, dtype=np.int32) for s, ids, _ in agent_frames]),
            "agent_id": np.concatenate([ids for _, ids, _ in agent_frames]),
            "cash_usd": np.concatenate([cash for _, _, cash in agent_frames])}


def agents_frame(agent_frames: list[tuple], types: np.ndarray) -> pd.DataFrame:
    """One row per living agent per step (``types``: the ledger's account types by id)."""
    if not agent_frames:
        return empty_agents()
    cols = agent_columns(agent_frames)
    return pd.DataFrame({"step": cols["step"], "agent_id": cols["agent_id"],
                         "agent_type": types[cols["agent_id"]].astype(str), "cash_usd": cols["cash_usd"]})


def release_freed_memory() -> None:
    """Hand memory freed by the month's transient arrays back to the system (glibc ``malloc_trim``, as Dask's
    workers do), so the process's resident size follows what it holds rather than its fragmented heap; a no-op
    where the C library has no such call."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc():
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 (glibc only)
        return libc
    except (OSError, AttributeError):
        return None


_LIBC = _libc()


class ParquetStream:
    """Agents' and flows' rows appended to Parquet files in whole row groups while the run goes (less than one row
    group of each held, as compact columns); written under temporary names and moved into place by ``close``."""

    def __init__(self, out: Path, model, agents: bool) -> None:
        self.out, self.model, self.agents = out, model, agents
        self.agent_steps = 0
        self._writers: dict[str, object] = {}
        self._schemas: dict[str, object] = {}
        self._queue: dict[str, deque] = {"agents": deque(), "flows": deque()}  # chunks of columns, oldest first
        self._queued = {"agents": 0, "flows": 0}
        self._events: list[pd.DataFrame] = []
        self._tmp = {name: out / f".{name}.parquet.{uuid.uuid4().hex[:8]}.tmp" for name in ("agents", "flows")}

    def spill(self, final: bool = False) -> None:
        """After a month: take its rows from the model (no copy), write every full row group, and with ``final``
        the rest."""
        model = self.model
        if len(model.events) >= EVENTS_CHUNK:  # events stay in memory, as compact frames instead of dicts
            self._events.append(events_frame(model.events))
            model.events.clear()
        if self.agents:
            for step, ids, cash in model.agent_frames:
                self._enqueue("agents", {"step": np.full(len(ids), step, dtype=np.int32), "agent_id": ids,
                                         "cash_usd": cash})
                self.agent_steps += len(ids)
            model.agent_frames.clear()
        for chunk in model.ledger.take_flow_chunks():
            self._enqueue("flows", chunk)
        for name in ("agents", "flows") if self.agents else ("flows",):
            while self._queued[name] >= ROW_GROUP or (final and self._queued[name] > 0):
                self._write(name, self._take(name, min(ROW_GROUP, self._queued[name])))
            if final and name not in self._writers:  # no row at all: the same empty file ``write`` makes
                (empty_agents() if name == "agents" else empty_flows()).to_parquet(self._tmp[name], index=False)
        release_freed_memory()

    def _enqueue(self, name: str, chunk: dict[str, np.ndarray]) -> None:
        if len(chunk["step"]):
            self._queue[name].append(chunk)
            self._queued[name] += len(chunk["step"])

    def _take(self, name: str, n: int) -> dict[str, np.ndarray]:
        """The oldest ``n`` queued rows as one set of columns (a chunk that straddles the cut is split)."""
        queue, parts, got = self._queue[name], [], 0
        while got < n:
            chunk = queue.popleft()
            k = len(chunk["step"])
            if got + k > n:
                cut = n - got
                queue.appendleft({c: v[cut:] for c, v in chunk.items()})
                chunk, k = {c: v[:cut] for c, v in chunk.items()}, cut
            parts.append(chunk)
            got += k
        self._queued[name] -= n
        return {c: np.concatenate([part[c] for part in parts]) for c in parts[0]}

    def _write(self, name: str, cols: dict[str, np.ndarray]) -> None:
        import pyarrow.parquet as pq

        table = self._table(name, cols)
        if name not in self._writers:
            self._writers[name] = pq.ParquetWriter(self._tmp[name], table.schema, compression="snappy")
        self._writers[name].write_table(table)

    def _table(self, name: str, cols: dict[str, np.ndarray]):
        """One row group as an Arrow table with the pandas schema of the in-memory frame."""
        import pyarrow as pa

        types = self.model.ledger.types
        if name not in self._schemas:  # the schema pandas gives this frame (its metadata does not depend on rows)
            one = {k: v[:1] for k, v in cols.items()}
            frame = (agents_frame([(int(one["step"][0]), one["agent_id"], one["cash_usd"])], types)
                     if name == "agents" else Ledger.frame_of(types, **one))
            self._schemas[name] = pa.Schema.from_pandas(frame, preserve_index=False)
        schema = self._schemas[name]
        names, codes = self.model.ledger.type_codes()

        def text(column: str, dictionary, index: np.ndarray):
            return pa.array(dictionary, type=schema.field(column).type).take(pa.array(index))

        if name == "agents":
            arrays = [cols["step"], cols["agent_id"], text("agent_type", names, codes[cols["agent_id"]]),
                      cols["cash_usd"]]
            order = _AGENT_COLUMNS
        else:
            arrays = [cols["step"], cols["payer_id"], text("payer_type", names, codes[cols["payer_id"]]),
                      cols["payee_id"], text("payee_type", names, codes[cols["payee_id"]]),
                      text("category", list(CATEGORIES), cols["category"]), cols["amount_usd"]]
            order = _FLOW_COLUMNS
        arrays = [a if isinstance(a, pa.Array) else pa.array(a, type=schema.field(c).type)
                  for c, a in zip(order, arrays)]
        return pa.Table.from_arrays(arrays, schema=schema)

    def events(self) -> pd.DataFrame:
        if self.model.events or not self._events:
            self._events.append(events_frame(self.model.events))
            self.model.events.clear()
        return self._events[0] if len(self._events) == 1 else pd.concat(self._events, ignore_index=True)

    def close(self) -> None:
        self.spill(final=True)
        for name in ("agents", "flows") if self.agents else ("flows",):
            if name in self._writers:
                self._writers.pop(name).close()
            os.replace(self._tmp[name], self.out / f"{name}.parquet")
        if not self.agents:
            empty_agents().to_parquet(self.out / "agents.parquet", index=False)

    def abort(self) -> None:
        for w in self._writers.values():
            w.close()
        for tmp in self._tmp.values():
            tmp.unlink(missing_ok=True)
