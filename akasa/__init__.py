"""akasa: daily customer and order drops into trustworthy business KPIs."""

__version__ = "0.1.0"
