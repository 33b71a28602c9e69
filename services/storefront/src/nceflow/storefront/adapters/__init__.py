"""The storefront's clients of catalog and checkout (HTTP, problem+json read back)."""
