"""No models are declared here: each dataset model's ``history = HistoricalRecords(app="history")`` creates its
historical model in this app (see apps.py)."""
