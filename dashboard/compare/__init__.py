"""The Compare & sweep page: scenarios side by side, then sweeps run in the background and browsed as they run."""
