"""Writes of invoicing: series and folios (``series``), drafts (``drafts``)."""
