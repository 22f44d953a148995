"""MFU in one place: the size law (``law``), its leave-one-out calibration on the published runs (``calibration``,
``python -m ecosystem.planner.mfu`` writes ``data/profiles/mfu_calibration.json``), the default MFU a
plan uses (``default``) and the validation report against every published run (``validation``)."""

from ecosystem.planner.mfu.default import default_mfu, load_calibration, mfu_basis
from ecosystem.planner.mfu.law import CALIBRATION_PATH, predict_mfu
from ecosystem.planner.mfu.validation import validation_report

__all__ = ["CALIBRATION_PATH", "default_mfu", "load_calibration", "mfu_basis", "predict_mfu", "validation_report"]
