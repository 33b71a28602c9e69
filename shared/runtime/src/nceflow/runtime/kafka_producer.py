"""Kafka producers with the delivery guarantees every nceflow producer keeps.

`acks="all"`: a record counts as sent only once every in-sync replica has it. The idempotent
producer (a retried send is never written twice) wherever the cluster has it: real Kafka does,
the embedded dev broker (Tansu) refuses it, so `KafkaSettings.enable_idempotence` decides.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer

from nceflow.runtime.settings import KafkaSettings


def reliable_producer(
    settings: KafkaSettings, *, client_id: str, **options: Any
) -> AIOKafkaProducer:
    """An unstarted producer with `acks="all"` and idempotence as `settings` say.

    `options` are further `AIOKafkaProducer` arguments (e.g. `linger_ms`, timeouts).
    """
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.enable_idempotence,
        **settings.client_options(),
        **options,
    )


async def started_producer(
    settings: KafkaSettings, *, client_id: str, **options: Any
) -> AIOKafkaProducer:
    """`reliable_producer`, connected. A producer whose start failed is closed before the error
    is raised (aiokafka's cannot be started again): the caller makes a fresh one next time."""
    producer = reliable_producer(settings, client_id=client_id, **options)
    try:
        await producer.start()
    except BaseException:
        await producer.stop()
        raise
    return producer
