"""Shocks and policies: hardware progress (the same FLOP/s costs less every month), scheduled GPU-price and demand
shocks (at a month index or a date), an outside lab's open-weights release, and the bias audit (pass, block or fine) of every model released
while a mandate holds. The wage floor applies when labellers are set up (``DataLabeller.set_wage``) and the carbon
price when clouds pay for energy (``sim.markets.gpu_hours``)."""

from __future__ import annotations

from ecosystem.formulas import scaling
from sim.actors import CloudHost, TrainedModel
from sim.ledger import OUTSIDE
from sim.month import Month


def shocks_and_policies(model, month: Month) -> None:
    sc = model.scenario
    t = month.t
    doubling = sc.market.gpu_price_performance_doubling_years
    if doubling:  # hardware progress: the same FLOP/s costs less to rent and to buy every month
        model.agents_of(CloudHost).do("scale_prices", 2.0 ** (-1.0 / (12.0 * doubling)))
    for shock in sc.shocks:
        if sc.event_month(shock.month, shock.at) != t:
            continue
        if shock.kind == "gpu_price":
            model.agents_of(CloudHost).do("scale_prices", 1.0 + shock.change)
        else:
            model.demand_multiplier *= 1.0 + shock.change
        model.event("shock", OUTSIDE, "outside", f"{shock.kind} {shock.change:+.0%}")
    ow = sc.policy.open_weights_release
    ow_month = sc.event_month(ow.month, ow.at)
    if ow_month is not None and ow_month == t:
        _release_open_weights(model, month, ow)


def _release_open_weights(model, month: Month, ow) -> None:
    loss = scaling.loss(ow.params, ow.tokens, model.fit)
    serving, loss_served = model.optimiser.apply(ow.params, loss, "int8")
    trained = TrainedModel(
        model_id=model.new_model_id(), owner_id=OUTSIDE, strategy="open_weights", params=ow.params,
        tokens=ow.tokens, train_flops=6 * ow.params * ow.tokens, loss=loss,
        quality=scaling.quality_from_loss(loss_served, model.fit), bias=ow.bias, label_bias=float("nan"),
        label_noise=float("nan"), aggregation="unknown", serving_params=serving, optimisation="int8",
        licence_share=0.0, release_step=month.t, serving_precision="fp8")
    audit(model, month, trained, None)
    model.models_registry.append(trained)
    month.metrics["models_released"] = month.metrics.get("models_released", 0) + 1
    model.event("open_weights_release", OUTSIDE, "outside",
                f"{ow.params / 1e9:.0f}B params, quality {trained.quality:.2f}")


def audit(model, month: Month, trained: TrainedModel, lab) -> None:
    """The bias audit of a released model while the mandate holds: pass, or block / fine; a failing lab aggregates
    its next run's labels more carefully. ``lab`` is None for the outside world's models (never fined)."""
    rule = model.scenario.policy.bias_audit
    if not rule.enabled or month.t < model.scenario.event_month(rule.start_month, rule.start_at):
        return
    trained.audit_passed = trained.bias <= rule.threshold
    owner_id = lab.unique_id if lab is not None else OUTSIDE
    owner_type = "trainer" if lab is not None else "outside"
    if trained.audit_passed:
        model.audits_passed += 1
        model.event("audit_pass", owner_id, owner_type, f"model {trained.model_id}: bias {trained.bias:.3f}")
        return
    model.audits_failed += 1
    if rule.action == "block":
        trained.deployable = False
        model.event("audit_block", owner_id, owner_type,
                    f"model {trained.model_id} blocked: bias {trained.bias:.3f} > {rule.threshold}")
    else:
        if lab is not None:
            model.ledger.pay(lab.unique_id, OUTSIDE, rule.fine_usd, "audit_fine")
            lab.cost_usd += rule.fine_usd
            month.metrics["audit_fines_usd"] = month.metrics.get("audit_fines_usd", 0.0) + rule.fine_usd
        model.event("audit_fine", owner_id, owner_type,
                    f"model {trained.model_id} fined {rule.fine_usd:,.0f} USD: bias {trained.bias:.3f}")
    if lab is not None:
        lab.escalate_aggregation()
