"""The accelerators of ``hardware.csv``: peaks (bf16, fp8, fp4), memory, bandwidth, board power, the node's
interconnect, first cloud availability and list price, by id."""

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
    family: str | None = None
    peak_fp4_flops_per_s: float | None = None
    interconnect_bytes_per_s: float | None = None  # aggregate (both directions) GPU-to-GPU bandwidth in a node
    gpus_per_node: int | None = None
    available_date: str | None = None  # YYYY-MM, first general availability in clouds
    list_price_usd: float | None = None  # purchase price per accelerator

    @property
    def memory_gb(self) -> float:
        return self.memory_bytes / 1e9


@lru_cache(maxsize=1)
def hardware_catalog() -> dict[str, Hardware]:
    """All accelerators by id."""
    catalog: dict[str, Hardware] = {}
    for row in read_table("hardware"):
        fp8 = parse_number(row["peak_fp8_dense_tflops"])
        fp4 = parse_number(row["peak_fp4_dense_tflops"])
        link = parse_number(row["interconnect_gb_s"])
        per_node = parse_number(row["gpus_per_node"])
        catalog[row["id"]] = Hardware(
            id=row["id"],
            name=row["accelerator"],
            peak_bf16_flops_per_s=float(row["peak_bf16_dense_tflops"]) * 1e12,
            peak_fp8_flops_per_s=None if fp8 is None else fp8 * 1e12,
            memory_bytes=float(row["memory_gb"]) * 1e9,
            memory_bw_bytes_per_s=float(row["memory_bw_tbs"]) * 1e12,
            tdp_w=parse_number(row["tdp_w"]),
            source=row["source"],
            family=row["family"],
            peak_fp4_flops_per_s=None if fp4 is None else fp4 * 1e12,
            interconnect_bytes_per_s=None if link is None else link * 1e9,
            gpus_per_node=None if per_node is None else int(per_node),
            available_date=row["available_date"] if row["available_date"][:1].isdigit() else None,
            list_price_usd=parse_number(row["list_price_usd"]),
        )
    return catalog


def hardware(hardware_id: str) -> Hardware:
    """The accelerator with this id; a ValueError naming the allowed ids otherwise."""
    catalog = hardware_catalog()
    if hardware_id not in catalog:
        allowed = ", ".join(sorted(catalog))
        raise ValueError(f"hardware: unknown id {hardware_id!r}; allowed: {allowed}")
    return catalog[hardware_id]
