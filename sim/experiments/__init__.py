"""Experiments over the model, the EMA-Workbench way: a sweep spec declares the uncertain inputs and the outcomes
(``spec``), samplers draw the design (``samplers``: grid, Latin hypercube, Sobol'), ``resolve`` expands it into
seeded runs, ``sweep`` runs them on an executor (``executors``: process pool or Dask; ``batch``: the worker side),
``store`` keeps the rows (Parquet + DuckDB) and ``analysis`` summarises them and ranks the inputs."""
