"""Input column names, shared by the readers, cleaning and the stores (no heavy imports:
the XML worker processes load only this)."""

CUSTOMER_COLUMNS = ("customer_id", "customer_name", "mobile_number", "region")
ORDER_LINE_COLUMNS = (
    "order_id",
    "mobile_number",
    "order_date_time",
    "sku_id",
    "sku_count",
    "total_amount",
)
