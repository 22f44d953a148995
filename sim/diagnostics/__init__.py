"""Diagnostics over a run's frames, outside the model: headline prices split into their parts (``prices``), what a
GPU-hour costs a cloud (``costs``), and plausibility checks the dashboard shows as banners (``checks``)."""
