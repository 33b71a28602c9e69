"""The pages: routes, templates, the session, error pages, security headers."""
