"""The accelerators of ``hardware.csv``: peaks, memory, bandwidth and board power, by id."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ecosystem.reference.tables import parse_number, read_table


@dataclass(frozen=True)
class Hardware:
    """One accelerator from ``hardware.csv``. Peaks are dense (no sparsity)."""

    id: str
    name: str
    peak_bf16_flops_per_s: float
    peak_fp8_flops_per_s: float | None
    memory_bytes: float
    memory_bw_bytes_per_s: float
    tdp_w: float | None
    source: str

    @property
    def memory_gb(self) -> float:
        return self.memory_bytes / 1e9


@lru_cache(maxsize=1)
def hardware_catalog() -> dict[str, Hardware]:
    """All accelerators by id."""
    catalog: dict[str, Hardware] = {}
    for row in read_table("hardware"):
        fp8 = parse_number(row["peak_fp8_dense_tflops"])
        catalog[row["id"]] = Hardware(
            id=row["id"],
            name=row["accelerator"],
            peak_bf16_flops_per_s=float(row["peak_bf16_dense_tflops"]) * 1e12,
            peak_fp8_flops_per_s=None if fp8 is None else fp8 * 1e12,
            memory_bytes=float(row["memory_gb"]) * 1e9,
            memory_bw_bytes_per_s=float(row["memory_bw_tbs"]) * 1e12,
            tdp_w=parse_number(row["tdp_w"]),
            source=row["source"],
        )
    return catalog


def hardware(hardware_id: str) -> Hardware:
    """The accelerator with this id; a ValueError naming the allowed ids otherwise."""
    catalog = hardware_catalog()
    if hardware_id not in catalog:
        allowed = ", ".join(sorted(catalog))
        raise ValueError(f"hardware: unknown id {hardware_id!r}; allowed: {allowed}")
    return catalog[hardware_id]
