"""The SQL database (table mode): schema, migrations, bulk load, KPIs in SQL."""
