"""The four KPIs: one module per mode, shared definitions in `spec`."""
