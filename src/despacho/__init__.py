"""Despacho: shared, permissioned access to CFDI for taxpayers and their accounting firms."""
