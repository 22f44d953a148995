"""The named breaks of issue 16: each one applied to a scratch copy of the repository, then the test named for its
mechanism is run and must fail. Run by ``scripts/mutation.sh --breaks [WORD ...]`` (only the breaks whose name
contains a WORD). A break whose text is no longer in its file is reported as STALE: update the list with the code."""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

SRC = pathlib.Path(__file__).resolve().parents[1]
DST = pathlib.Path(tempfile.mkdtemp(prefix="breaks-")) / "tree"
shutil.copytree(SRC, DST, ignore=shutil.ignore_patterns(
    ".git", ".venv", "mutants", "__pycache__", ".hypothesis", "test-artifacts", "runs"))
# (name, file, text to replace, replacement, the test that must catch it)
BREAKS = [
    (
        'carbon price never charged',
        'sim/markets/gpu_hours.py',
        'carbon_bill = co2_t * model.scenario.policy.carbon_price_usd_per_tco2',
        'carbon_bill = co2_t * 0.0',
        'tests/sim/test_mechanism_carbon_price.py',
    ),
    (
        'audit fines never paid',
        'sim/policy.py',
        '            model.ledger.pay(lab.unique_id, OUTSIDE, rule.fine_usd, "audit_fine")\n',
        '',
        'tests/sim/test_mechanism_audit_fines.py',
    ),
    (
        'no firm ever enters',
        'sim/markets/firms.py',
        'if hist.margin() > sc.market.entry_margin and',
        'if False and',
        'tests/sim/test_mechanism_firms_enter_and_exit.py',
    ),
    (
        'hardware price-performance trend off',
        'sim/policy.py',
        '    if doubling:',
        '    if False:',
        'tests/sim/test_mechanism_hardware_trend.py',
    ),
    (
        'ledger pays a closed account (pay)',
        'sim/ledger.py',
        'if party != OUTSIDE and not self.open[party]:',
        'if False:',
        'tests/sim/test_ledger.py',
    ),
    (
        'ledger pays a closed account (pay_many)',
        'sim/ledger.py',
        'if not (self.open[payers[inside_payer]].all() and self.open[payees[inside_payee]].all()):',
        'if False:',
        'tests/sim/test_ledger.py',
    ),
    (
        'outside inflow/outflow swapped',
        'sim/metrics.py',
        'm["outside_inflow_usd"], m["outside_outflow_usd"] = model.ledger.outside_in, model.ledger.outside_out',
        'm["outside_inflow_usd"], m["outside_outflow_usd"] = model.ledger.outside_out, model.ledger.outside_in',
        'tests/sim/test_ledger.py',
    ),
    (
        'gpu_hours_for_flops accepts MFU > 1',
        'ecosystem/planner/flops.py',
        'check_number("mfu", mfu, 0.0, 1.0, low_open=True)\n    return train_flops',
        'check_number("mfu", mfu, 0.0, math.inf, low_open=True)\n    return train_flops',
        'tests/ecosystem/test_planner_hand_worked.py',
    ),
    (
        '--resume accepts a different base scenario',
        'sim/experiments/resolve.py',
        'json.dumps({"spec": data, "scenario": scenario_dump}',
        'json.dumps({"spec": data}',
        'tests/sim/test_sweep_resume.py',
    ),
    (
        '--resume skips cleaning partial batches',
        'sim/experiments/sweep.py',
        '        store.clean_partial()\n',
        '',
        'tests/sim/test_sweep_resume.py',
    ),
    (
        'serve --query-heads-per-kv-head ignored',
        'ecosystem/planner/serving.py',
        'formulas.kv_cache_bytes(n_layer, n_ctx, d_model, kv_bpe) / gqa',
        'formulas.kv_cache_bytes(n_layer, n_ctx, d_model, kv_bpe) / 1',
        'tests/ecosystem/test_planner_hand_worked.py',
    ),
    (
        'serving not rationed',
        'sim/markets/gpu_hours.py',
        'b.tokens_served = b.tokens_demanded * fill',
        'b.tokens_served = b.tokens_demanded',
        'tests/sim/test_mechanism_gpu_market.py',
    ),
    (
        'GPU merit order per GPU-hour, not per FLOP',
        'sim/markets/gpu_hours.py',
        'merit_order_match(np.array(qty_pflop_h), cap, price)',
        'merit_order_match(np.array(qty_pflop_h), cap, np.array([c.price_usd_per_hour for c in clouds]))',
        'tests/sim/test_mechanism_gpu_market.py',
    ),
    (
        'label merit order per label, not per correct label',
        'sim/markets/labels.py',
        'merit_order_match(raw_wanted, capacity, label_prices / accuracy)',
        'merit_order_match(raw_wanted, capacity, label_prices)',
        'tests/sim/test_mechanism_label_market.py',
    ),
    (
        'firms never exit',
        'sim/markets/firms.py',
        '        if a.months_insolvent >= limit:',
        '        if False:',
        'tests/sim/test_mechanism_firms_enter_and_exit.py',
    ),
    (
        'GPU-hours 5% off',
        'ecosystem/planner/flops.py',
        'return train_flops / (resolve_hardware(hardware_id).peak_bf16_flops_per_s * mfu * SECONDS_PER_HOUR)',
        'return 1.05 * train_flops / (resolve_hardware(hardware_id).peak_bf16_flops_per_s * mfu * SECONDS_PER_HOUR)',
        'tests/ecosystem/test_planner_hand_worked.py',
    ),
]
env = dict(os.environ, PYTHONPATH=str(DST))
only = sys.argv[1:]
missed = 0
for name, path, old, new, test in BREAKS:
    if only and not any(o in name for o in only):
        continue
    f = DST / path
    text = f.read_text()
    if text.count(old) != 1:
        print(f"STALE: {name}: the text to break is not (once) in {path}", flush=True)
        missed += 1
        continue
    f.write_text(text.replace(old, new))
    try:
        res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", test], cwd=DST,
                             env=env, capture_output=True, text=True, timeout=600)
        last = [l for l in res.stdout.splitlines() if l.strip()][-1]
        failed = [l.split(" - ")[0].replace("FAILED ", "") for l in res.stdout.splitlines() if l.startswith("FAILED")]
        caught = res.returncode == 1
        missed += not caught
        print(f"{'CAUGHT' if caught else 'MISSED rc=%d' % res.returncode}: {name}: {failed[:1]} ({last})", flush=True)
    finally:
        f.write_text(text)
shutil.rmtree(DST.parent)
print(f"{len(BREAKS) - missed} of {len(BREAKS)} breaks caught")
sys.exit(1 if missed else 0)
