"""Streamlit building blocks the pages share: levers (sidebar + URL), KPI cards, the month narrative, the bias-audit
panel, sweep jobs, and the run cache with the session state."""
