"""The two interchangeable stores: Parquet files (memory mode) and an SQL database (table mode)."""
