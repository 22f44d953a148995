"""Shared fixtures of the ecosystem tests."""

import pytest


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models run fastest on one thread, above all on a busy shared machine; restore afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
