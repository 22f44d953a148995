"""LLM Chain Lab's agent-based model (Mesa): scenarios, agents, markets, ledger, metrics, runner, sweeps, store.
Imports ``ecosystem``; never ``dashboard`` or streamlit."""
