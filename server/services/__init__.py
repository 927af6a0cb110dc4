"""The server's services: plain functions over a database session, used by the API routes, the admin CLI,
the demo seeder and the tests alike."""
