"""Shared definitions every layer may use: settings, errors, tables, numbers, files."""
