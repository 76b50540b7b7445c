"""Reading, cleaning and accounting for the daily drops."""
