"""LLM Chain Lab's agent-based model (Mesa). ``scenario/`` (inputs), ``actors/`` (the agents and their decisions),
``markets/`` (one file per market), ``ledger``, ``policy``, ``month``, ``model`` (ChainModel's schedule),
``metrics``, ``runner`` (runs and their Parquet output), ``experiments/`` (sweeps, store, analysis).
Imports ``ecosystem``; never ``dashboard``, streamlit or torch."""
