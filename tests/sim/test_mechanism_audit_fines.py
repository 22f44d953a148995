"""Bias-audit mandate: with action `fine`, every lab model over the threshold costs its lab the fine, paid to the
regulator (outside); with action `block`, nothing is paid and the model is not deployed."""

from __future__ import annotations

import pytest

from tests.sim.mechanisms import flows_of, run_with

FINE = 3.0e6
MANDATE = {"policy.bias_audit.enabled": True, "policy.bias_audit.threshold": 1e-6,  # every model fails
           "policy.bias_audit.fine_usd": FINE}


@pytest.fixture(scope="module")
def fined():
    return run_with({**MANDATE, "policy.bias_audit.action": "fine"}, months=30)


def test_every_failed_lab_model_pays_the_fine_to_the_regulator(fined):
    labs_released = fined.events[(fined.events.kind == "model_release") & (fined.events.agent_type == "trainer")]
    fines = flows_of(fined, "audit_fine")
    assert len(labs_released) >= 3
    assert len(fines) == len(labs_released)
    assert (fines.amount_usd == FINE).all()
    assert set(fines.payer_type) == {"trainer"} and set(fines.payee_type) == {"outside"}
    # each fine is paid by the lab that released the model, in the month it was released
    paid = sorted(zip(fines.step, fines.payer_id))
    released = sorted(zip(labs_released.step, labs_released.agent_id))
    assert paid == released
    assert fined.metrics.audit_fines_usd.sum() == pytest.approx(FINE * len(fines))
    assert fined.metrics.audits_failed.sum() >= len(fines)


def test_no_fine_without_a_mandate_or_when_blocking():
    assert flows_of(run_with(months=30), "audit_fine").empty
    blocked = run_with({**MANDATE, "policy.bias_audit.action": "block"}, months=30)
    assert flows_of(blocked, "audit_fine").empty
    assert (blocked.events.kind == "audit_block").sum() >= 3
    assert blocked.metrics.audit_fines_usd.sum() == 0
