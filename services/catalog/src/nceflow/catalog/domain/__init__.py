"""The catalogue's domain: catalogues, tiles and service plans, and how to query them. No I/O."""
