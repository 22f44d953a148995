"""The Forecast page: fan charts to 2031-12 across the accepted sets and seeds, a what-if against the unmodified
forecast."""
