"""The Reality check page: the calibrated run against the calibration targets (in sample) and later facts (out of
sample)."""
