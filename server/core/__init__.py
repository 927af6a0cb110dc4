"""Server configuration and security primitives."""
