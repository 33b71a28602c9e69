"""Plumbing every nceflow service shares: logging, health endpoints, serving, common settings."""
