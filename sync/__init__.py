"""The sync layer shared by client and server.

The pure core — `records` (record kinds and their fields), `hlc` (hybrid logical clock), `ops` (the op
format and its validation), `merge` (the merge rule), `protocol` (the wire messages) and `ids` (record ids,
UUIDv7) — does no I/O, so the client and the server can never disagree about what a record is or how two
edits combine. The client engine (`sync.engine`) is the only part that talks to the network.
"""
