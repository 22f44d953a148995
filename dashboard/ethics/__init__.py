"""The Ethics page: labour, energy and carbon, concentration, deployed bias, and the live bias-audit experiment."""
