"""The model catalogue of ``models.csv``: public configurations of real open models, by id, as
``formulas.Architecture``."""

from __future__ import annotations

from functools import lru_cache

from ecosystem.formulas.architecture import ATTENTION_TYPES, Architecture
from ecosystem.reference.tables import read_table

_INT_FIELDS = ("n_layer", "d_model", "n_head", "n_kv_head", "head_dim", "d_ff", "vocab_size", "context_tokens",
               "n_experts", "n_experts_active", "n_shared_experts", "moe_d_ff", "n_dense_layers", "kv_lora_rank",
               "qk_rope_head_dim")


@lru_cache(maxsize=1)
def model_catalog() -> dict[str, Architecture]:
    """Every catalogued model by id."""
    catalog: dict[str, Architecture] = {}
    for row in read_table("models"):
        if row["attention"] not in ATTENTION_TYPES:
            raise ValueError(f"models.csv {row['id']}: attention {row['attention']!r}; allowed: {ATTENTION_TYPES}")
        catalog[row["id"]] = Architecture(
            id=row["id"], attention=row["attention"], total_params=float(row["total_params"]),
            active_params=float(row["active_params"]), **{name: int(row[name]) for name in _INT_FIELDS})
    return catalog


def model_ids() -> list[str]:
    return sorted(model_catalog())


def model_architecture(model_id: str) -> Architecture:
    """The catalogued model with this id; a ValueError naming the allowed ids otherwise."""
    catalog = model_catalog()
    if model_id not in catalog:
        raise ValueError(f"model: unknown id {model_id!r}; allowed: {', '.join(sorted(catalog))}")
    return catalog[model_id]


@lru_cache(maxsize=1)
def model_sources() -> dict[str, str]:
    """The source cell of every catalogued model, by id."""
    return {row["id"]: row["source"] for row in read_table("models")}
