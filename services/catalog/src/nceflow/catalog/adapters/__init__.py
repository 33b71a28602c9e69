"""Adapters of the catalog: catalogue files, the served catalogue, following a file."""
