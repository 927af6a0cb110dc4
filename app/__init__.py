"""The besmart client: its services (every user action as a plain Python call) and composition root."""
