"""The sync layer shared by client and server.

The pure core — `records` (record kinds and their fields), `hlc` (hybrid logical clock), `ops` (the op
format and its validation), `merge` (the merge rule) and `protocol` (the wire messages) — does no I/O, so the
client and the server can never disagree about what a record is or how two edits combine.
The client engine (`sync.engine`) runs the sync algorithm; its gateway to the server (`sync.gateway`) is the only
module of the client that talks to the network.
"""
