"""The besmart sync server: accounts, permissions, push/pull over the pure sync core, notifications.

It never imports client code (`app/`, `screens/`, `localdb/`); it shares only the pure part of `sync/`.

Every exception it raises derives from one root, `server.errors.ServerSideError` (not `ServerError`: that
is the client engine's name for a refusal as the device sees it):

    ServerSideError                        server.errors
    ├── ServiceError                       server.services.errors — a refusal: HTTP status, code, message
    │   ├── AuthError                      server.services.accounts
    │   ├── QuarantineError                server.services.quarantine
    │   ├── PushRefused                    server.services.push
    │   └── HashingBusy                    server.core.security
    ├── AdminError (ValueError)            server.services.organisations — an admin request refused
    ├── RetentionError (ValueError)        server.services.retention — a destruction refused (legal hold...)
    ├── ApiError (FastAPI HTTPException)   server.api.errors — an HTTP refusal with a code
    ├── CommandError                       server.admin — an admin command refused (exit status 2)
    ├── ImportFailed                       server.csv_import — a CSV file not imported
    ├── DemoError                          server.demo — the demo could not be seeded
    ├── _GroupLost                         server.group_commit — SQLite ended a group's transaction itself
    └── SettingsError (ValueError)         server.core.config — a setting with a bad value
"""
