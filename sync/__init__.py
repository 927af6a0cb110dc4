"""The sync layer shared by client and server.

The pure core — `records` (record kinds and their fields), `hlc` (hybrid logical clock), `ops` (the op
format and its validation), `merge` (the merge rule), `protocol` (the wire messages), `exports` (the rows of
the statutory exports and of a subject access request) and `ids` (record ids, UUIDv7) — does no I/O, so the
client and the server can never disagree about what a record is or how two edits combine. The client engine
(`sync.engine`) runs the sync algorithm; its gateway to the server (`sync.gateway`) is the only module of the
client that talks to the network.

Every exception it raises derives from one root, `sync.errors.SyncError` (the refusals are also `ValueError`,
what callers validating input catch):

    SyncError                       sync.errors
    ├── RecordError (ValueError)    sync.records — a record or field value that does not fit its kind
    ├── ClockError (ValueError)     sync.hlc     — a stamp that cannot be accepted
    ├── OpError (ValueError)        sync.ops     — an op that must not be merged
    ├── ExportError (ValueError)    sync.exports — an export asked for with impossible values
    └── SyncFailure                 sync.gateway — a request or sync round that did not complete
        ├── OfflineError                           the server could not be reached
        ├── ServerError                            the server refused a request
        │   └── RateLimited                        busy or rate-limited (429/503), with Retry-After
        └── ReauthRequired                         the session expired: sign in again
"""
