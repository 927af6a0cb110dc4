"""The besmart client: its services, every user action as a plain Python call (the composition root is main.py).

Every exception its services raise derives from one root, `app.errors.AppError`; each message is for the
person at the screen:

    AppError                    app.errors
    ├── ActionError             app.context — a user action that cannot be done; nothing was changed
    │   ├── PermissionDenied                  the user's role does not allow it
    │   └── StorageProblem                    the device's storage refused the write
    ├── SignInError             app.session — signing in or unlocking failed
    │   └── UnfinishedWorkError               signing out would delete drafts never sent
    ├── AssistantUnavailable    app.assistant — the AI assistant cannot answer (offline, off, refused)
    ├── ParentEmailUnavailable  app.parent_email — the report to parents cannot be emailed (offline, off, refused)
    └── ConfigError             app.config — a setting's value does not fit (named, with why)
"""
