"""The besmart sync server: accounts, permissions, push/pull over the pure sync core, notifications.

It never imports client code (`app/`, `screens/`, `localdb/`); it shares only the pure part of `sync/`.
"""
