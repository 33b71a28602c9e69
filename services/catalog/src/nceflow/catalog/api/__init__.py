"""The catalog's HTTP API: routes, response shapes and problem+json errors."""
