"""Adapters of the fulfilment service: Redis saga store, Kafka publisher, Partner Center steps."""
