"""Issuing CFDI 4.0: the documents to issue, their amounts, and the signed XML."""
