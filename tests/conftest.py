"""Shared test settings. The packages are importable because scripts/setup.sh installs the project editable
(``pip install -e .``); nothing here patches ``sys.path``."""
