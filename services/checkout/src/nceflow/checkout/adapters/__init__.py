"""Adapters: Redis, Kafka, the catalog and Partner Center behind small interfaces."""
