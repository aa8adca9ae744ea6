"""Services of the products module: validation and writes, each change with its audit row."""
