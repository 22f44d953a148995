"""The Explore page: one scenario with its levers, KPI cards, and a tab per view of the run."""
