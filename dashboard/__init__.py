"""The Streamlit dashboard: ``streamlit run dashboard/app.py`` (see ``./run_dashboard.sh``)."""
