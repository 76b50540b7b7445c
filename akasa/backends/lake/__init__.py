"""The file store (memory mode): Parquet batches, lazy Polars KPIs."""
