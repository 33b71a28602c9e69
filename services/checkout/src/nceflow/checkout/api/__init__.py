"""The checkout HTTP API: routes, request/response shapes, problem+json errors."""
