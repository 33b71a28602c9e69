"""nceflow order event contract: CloudEvents envelopes, topics, JSON Schemas."""
