"""`akasa report`: Altair charts and one offline HTML report from the newest KPI outputs."""
