"""Hypothesis strategies shared by the ecosystem tests."""

from hypothesis import strategies as st

from ecosystem.transformer.model import GPTConfig


@st.composite
def configs(draw, max_ctx: int = 32) -> GPTConfig:
    n_head = draw(st.integers(1, 4))
    d_model = n_head * draw(st.integers(2, 12))
    return GPTConfig(
        vocab_size=draw(st.integers(5, 80)),
        n_layer=draw(st.integers(1, 3)),
        n_head=n_head,
        d_model=d_model,
        n_ctx=draw(st.integers(2, max_ctx)),
        d_ff=draw(st.one_of(st.none(), st.integers(4, 96))),
        tied_head=draw(st.booleans()),
    )
