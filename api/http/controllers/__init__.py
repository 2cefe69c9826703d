"""One controller module per resource of the HTTP API."""
