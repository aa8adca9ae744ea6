"""The products module's root fields: queries, and mutations per noun."""
