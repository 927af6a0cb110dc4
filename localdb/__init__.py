"""The encrypted on-device store.

Every exception it raises derives from one root, `localdb.errors.LocalDbError`:

    LocalDbError                          localdb.errors
    ├── TamperError                       localdb.crypto — a ciphertext failed authentication
    │   └── UnknownKeyError                                it names a data key this store does not hold
    ├── KeysError                         localdb.keys   — the key hierarchy
    │   ├── WeakPassphraseError (ValueError)               the passcode is too weak for this device
    │   ├── WrongPasscodeError                             the passcode did not unlock the data keys
    │   │   └── DeviceSecretMissingError                   the device secret is not in the OS secure store
    │   ├── SecureStoreError                               the OS secure store refused
    │   ├── KeyRecordError                                 wrapped-key records malformed or altered
    │   └── KeysLockedError                                the keys were forgotten (store locked)
    └── StoreError                        localdb.store  — a store operation that cannot be done
        ├── StoreLockedError                               locked: unlock with the passcode first
        ├── NotInitialisedError                            no store in this directory yet
        └── StorageError                                   the device's storage refused a write
            ├── StorageFull
            └── StorageUnavailable
"""
