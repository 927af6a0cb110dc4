"""The encrypted on-device store."""
