"""The HTTP API: dependencies, error handling and the routes."""
