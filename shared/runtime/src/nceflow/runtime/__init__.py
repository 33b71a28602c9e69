"""Plumbing every nceflow service shares: logging, health, problem+json, serving, settings."""
