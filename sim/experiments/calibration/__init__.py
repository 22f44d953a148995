"""Calibration: keep the parameter sets whose runs are not implausible against dated published targets.

Rooms: ``targets`` (the targets file and how a run is read at a date), ``fit`` (log10 error, tolerance,
implausibility, acceptance), ``spec`` (the calibration file), ``method`` (screening, scoring, acceptance for any
simulator), ``refine`` (local search with scipy.optimize), ``chain`` (the chain model through the sweep machinery),
``report`` (accepted.csv, fit.csv, summary.json), ``cli`` (``python -m sim calibrate``), ``machinery`` (the one place
the sweep runner, spec and store are imported from).
"""
