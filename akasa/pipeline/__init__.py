"""The orchestrators above the backends: one ingest, one KPI run."""
