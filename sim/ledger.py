"""The ledger: every payment is one entry between two parties, and every agent's cash lives here.

Agents are parties by their Mesa ``unique_id``; the outside world (end users, investors, hardware vendors, utilities,
regulators, workers' households) is the single party ``OUTSIDE`` (id -1, type ``outside``), and the entry's category
says which of them it was. Cash is a numpy array indexed by agent id, so markets can move money for thousands of agents
in one vectorised call while each payment is still recorded. Money is conserved by construction: a payment subtracts
from one party exactly what it adds to the other, and money enters or leaves the chain only in entries with ``OUTSIDE``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OUTSIDE = -1
OUTSIDE_TYPE = "outside"

# Categories of payment. Entries with the outside world use the ``outside_*``-free names listed in OUTSIDE_CATEGORIES.
CATEGORIES = (
    "investment",          # investors -> agent: starting capital and entrants' funding
    "exit_payout",         # agent -> investors: cash of an exiting firm
    "debt_writeoff",       # investors -> agent: negative cash of an exiting firm written off
    "subscriptions",       # end users -> app developers
    "staff_costs",         # firms -> outside (salaries, tooling: apps' per-user and fixed costs, labs' and APIs' teams)
    "api_tokens",          # app developers -> service providers
    "model_licence",       # service providers -> model trainers (a share of the API price)
    "inference_gpu_hours", # service providers -> cloud hosts
    "training_gpu_hours",  # model trainers -> cloud hosts
    "labels",              # model trainers -> data labellers
    "labeller_wages",      # data labellers -> workers (outside)
    "energy",              # cloud hosts -> utilities (outside)
    "carbon_tax",          # cloud hosts -> regulator (outside)
    "gpu_capex",           # cloud hosts -> hardware vendors (outside)
    "audit_fine",          # model trainers -> regulator (outside)
    "first_party_transfer",  # a lab's own API or app -> the lab (its surplus cash, sim.markets.first_party)
)
_CODE = {c: i for i, c in enumerate(CATEGORIES)}
_INF = float("inf")


class PaymentError(ValueError):
    """A payment whose amount is negative, NaN or infinite: refused, naming payer, payee and category."""


class Ledger:
    """Cash balances by agent id and the list of payments."""

    def __init__(self, capacity: int = 1024) -> None:
        self.cash = np.zeros(capacity, dtype=np.float64)
        self.types = np.full(capacity, "", dtype=object)
        self.open = np.zeros(capacity, dtype=bool)
        self.step = 0
        self._steps: list[np.ndarray] = []
        self._payers: list[np.ndarray] = []
        self._payees: list[np.ndarray] = []
        self._amounts: list[np.ndarray] = []
        self._cats: list[np.ndarray] = []
        self._pending: list[tuple] = []  # scalar payments, batched into arrays when read
        self.outside_in = 0.0  # running totals for the current step
        self.outside_out = 0.0

    # ---- parties ------------------------------------------------------------------------------------------------

    def open_account(self, agent_id: int, agent_type: str) -> None:
        if agent_id >= len(self.cash):
            new = max(agent_id + 1, 2 * len(self.cash))
            self.cash = np.concatenate([self.cash, np.zeros(new - len(self.cash))])
            self.types = np.concatenate([self.types, np.full(new - len(self.types), "", dtype=object)])
            self.open = np.concatenate([self.open, np.zeros(new - len(self.open), dtype=bool)])
        self.types[agent_id] = agent_type
        self.open[agent_id] = True

    def balance(self, agent_id: int) -> float:
        return float(self.cash[agent_id])

    def _describe(self, payer: int, payee: int, amount_usd: float, category: str) -> str:
        def who(party: int) -> str:
            return OUTSIDE_TYPE if party == OUTSIDE else f"{self.types[party] or 'agent'} {party}"

        return (f"payment refused: {category} from {who(payer)} to {who(payee)} of {amount_usd} USD at month "
                f"{self.step}; allowed: a finite amount >= 0")

    # ---- payments -----------------------------------------------------------------------------------------------

    def pay(self, payer: int, payee: int, amount_usd: float, category: str) -> None:
        """One payment; amount must be >= 0 (zero payments are not recorded)."""
        if not 0.0 < amount_usd < _INF:
            if amount_usd == 0.0:
                return
            raise PaymentError(self._describe(payer, payee, amount_usd, category))
        for party in (payer, payee):
            if party != OUTSIDE and not self.open[party]:
                raise ValueError(f"payment to or from a closed or unknown account ({category})")
        if payer != OUTSIDE:
            self.cash[payer] -= amount_usd
        else:
            self.outside_in += amount_usd
        if payee != OUTSIDE:
            self.cash[payee] += amount_usd
        else:
            self.outside_out += amount_usd
        self._pending.append((self.step, payer, payee, amount_usd, _CODE[category]))

    def pay_many(self, payers: np.ndarray, payees: np.ndarray, amounts_usd: np.ndarray, category: str) -> None:
        """Many payments of one category at once (arrays of equal length; zero amounts are dropped)."""
        payers = np.asarray(payers, dtype=np.int64)
        payees = np.broadcast_to(np.asarray(payees, dtype=np.int64), payers.shape)
        amounts = np.broadcast_to(np.asarray(amounts_usd, dtype=np.float64), payers.shape)
        keep = amounts > 0.0
        bad = ~(keep | (amounts == 0.0)) | (amounts == _INF)  # negative, NaN or infinite
        if bad.any():
            i = int(np.argmax(bad))
            raise PaymentError(self._describe(int(payers[i]), int(payees[i]), float(amounts[i]), category))
        if not keep.all():
            payers, payees, amounts = payers[keep], payees[keep], amounts[keep]
        if len(amounts) == 0:
            return
        self._flush()
        code = _CODE[category]
        out_payer = payers == OUTSIDE
        out_payee = payees == OUTSIDE
        inside_payer = ~out_payer
        inside_payee = ~out_payee
        if not (self.open[payers[inside_payer]].all() and self.open[payees[inside_payee]].all()):
            raise ValueError(f"payment to or from a closed or unknown account ({category})")
        np.subtract.at(self.cash, payers[inside_payer], amounts[inside_payer])
        np.add.at(self.cash, payees[inside_payee], amounts[inside_payee])
        self.outside_in += float(amounts[out_payer & inside_payee].sum())
        self.outside_out += float(amounts[out_payee & inside_payer].sum())
        self._steps.append(np.full(len(amounts), self.step, dtype=np.int32))
        self._payers.append(payers.copy())
        self._payees.append(payees.copy())
        self._amounts.append(amounts.copy())
        self._cats.append(np.full(len(amounts), code, dtype=np.int16))

    def close_account(self, agent_id: int) -> None:
        """Send an exiting agent's cash to the outside world (or write off its debt) so its balance is zero."""
        cash = float(self.cash[agent_id])
        if cash > 0:
            self.pay(agent_id, OUTSIDE, cash, "exit_payout")
        elif cash < 0:
            self.pay(OUTSIDE, agent_id, -cash, "debt_writeoff")
        self.cash[agent_id] = 0.0
        self.open[agent_id] = False

    def begin_step(self, step: int) -> None:
        self.step = step
        self.outside_in = 0.0
        self.outside_out = 0.0

    # ---- output -------------------------------------------------------------------------------------------------

    def _flush(self) -> None:
        """Move scalar payments into the array chunks (keeps the order of entry within each kind)."""
        if not self._pending:
            return
        steps, payers, payees, amounts, cats = (np.array(col) for col in zip(*self._pending))
        self._steps.append(steps.astype(np.int32))
        self._payers.append(payers.astype(np.int64))
        self._payees.append(payees.astype(np.int64))
        self._amounts.append(amounts.astype(np.float64))
        self._cats.append(cats.astype(np.int16))
        self._pending = []

    def take_flow_chunks(self) -> list[dict[str, np.ndarray]]:
        """The payments held so far as chunks of compact columns (step, payer_id, payee_id, category code,
        amount_usd), oldest first, forgetting them: for streaming to a file (``sim.stream``). Nothing is copied."""
        self._flush()
        chunks = [{"step": s, "payer_id": pa, "payee_id": pe, "category": c, "amount_usd": a}
                  for s, pa, pe, c, a in zip(self._steps, self._payers, self._payees, self._cats, self._amounts)]
        self._steps, self._payers, self._payees, self._amounts, self._cats = [], [], [], [], []
        return chunks

    def type_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """The account types as a small dictionary: ``(names, codes)`` with ``names[codes[party]]`` the type of
        ``party`` (the outside world at index -1, as payments index it), names sorted."""
        return np.unique(np.append(self.types, OUTSIDE_TYPE).astype(str), return_inverse=True)

    def flows_by_type(self) -> pd.DataFrame:
        """Payments summed per step, payer type, payee type and category (``step, payer_type, payee_type, category,
        amount_usd``, sorted by those keys): ``flows_frame().groupby(...)`` without building the per-payment frame.
        Grouped on integer codes, so each group sums the same payments in the same order (the same floats)."""
        self._flush()
        if not self._amounts:
            return pd.DataFrame({"step": pd.Series(dtype="int32"), "payer_type": pd.Series(dtype="str"),
                                 "payee_type": pd.Series(dtype="str"), "category": pd.Series(dtype="str"),
                                 "amount_usd": pd.Series(dtype="float64")})
        names, codes = self.type_codes()
        frame = pd.DataFrame({"step": np.concatenate(self._steps), "payer_type": codes[np.concatenate(self._payers)],
                              "payee_type": codes[np.concatenate(self._payees)],
                              "category": np.concatenate(self._cats), "amount_usd": np.concatenate(self._amounts)})
        out = frame.groupby(["step", "payer_type", "payee_type", "category"], as_index=False, sort=True)[
            "amount_usd"].sum()
        out["payer_type"] = names[out["payer_type"].to_numpy()]
        out["payee_type"] = names[out["payee_type"].to_numpy()]
        out["category"] = np.array(CATEGORIES)[out["category"].to_numpy()]
        out = out.astype({"payer_type": "str", "payee_type": "str", "category": "str"})
        return out.sort_values(["step", "payer_type", "payee_type", "category"], ignore_index=True)

    def flows_frame(self) -> pd.DataFrame:
        """One row per payment: step, payer_id, payer_type, payee_id, payee_type, category, amount_usd."""
        self._flush()
        return self.frame_of(self.types, step=_cat(self._steps, np.int32), payer_id=_cat(self._payers, np.int64),
                             payee_id=_cat(self._payees, np.int64), category=_cat(self._cats, np.int16),
                             amount_usd=_cat(self._amounts, np.float64))

    @staticmethod
    def frame_of(types: np.ndarray, step, payer_id, payee_id, category, amount_usd) -> pd.DataFrame:
        """The flows frame of payment columns (category as codes into ``CATEGORIES``; ``types``: account types by
        id, the outside world at -1)."""
        types = np.append(types, OUTSIDE_TYPE)  # index -1 -> "outside"
        return pd.DataFrame({
            "step": step,
            "payer_id": payer_id,
            "payer_type": pd.Series(types[payer_id].astype(str), dtype="str"),
            "payee_id": payee_id,
            "payee_type": pd.Series(types[payee_id].astype(str), dtype="str"),
            "category": pd.Series(np.array(CATEGORIES, dtype=object)[category].astype(str), dtype="str"),
            "amount_usd": amount_usd,
        })


def _cat(chunks: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=dtype)
