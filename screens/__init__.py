"""Thin Flet views over the `app/` services: no SQL, no crypto, no HTTP here."""
