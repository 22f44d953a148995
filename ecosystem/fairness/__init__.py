"""The bias experiment: train the real small Transformer on crowd labels and audit it the way an auditor would.

* ``corpus``: the templated sentiment corpus about groups;
* ``labelling``: the simulated labeller crowd, aggregation and what labels cost;
* ``settings``: ``AuditSettings`` and ``TrainSettings``;
* ``classifier``: the model trained on the labels (the only module here that imports torch);
* ``metrics``: fairlearn metrics and bootstrap intervals;
* ``audit``: the audit of one model, ``audit(settings)`` or ``run_audit(...)``;
* ``hierarchical``: intervals over replicates and test sentences (two-stage bootstrap);
* ``replicated``: the replicated audit (K models) and paired comparisons of aggregations;
* ``figures``: the audit's plotly and SVG figures (intervals, each replicate as a dot, paired differences);
* ``report``: the model card (Markdown, HTML) and the comparison report;
* ``transfer``: the measured transfer table the simulation reads (labeller bias and noise -> model bias);
* ``cli``: ``python -m ecosystem audit [--replicates K] [--compare single,majority3]``.

This package imports no torch: torch is loaded when an audit runs.
"""

from ecosystem.fairness.audit import AuditResult, audit, run_audit
from ecosystem.fairness.settings import AuditSettings, TrainSettings

__all__ = ["AuditResult", "AuditSettings", "TrainSettings", "audit", "run_audit"]
