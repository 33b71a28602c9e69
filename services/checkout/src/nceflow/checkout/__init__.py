"""nceflow checkout service: the NCE purchase wizard."""
