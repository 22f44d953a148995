"""Figure builders by subject: plain functions from DataFrames to plotly Figures (no Streamlit in here). Every axis
is titled with its unit and every hover shows the unit."""
