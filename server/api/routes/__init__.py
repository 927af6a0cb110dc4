"""One router per area: health, auth, sync, records, quarantine, devices."""
