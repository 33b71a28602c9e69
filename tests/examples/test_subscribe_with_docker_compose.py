"""How another system's integration test starts nceflow and subscribes to its order events.

It builds and starts `docker-compose.yml` with testcontainers' `DockerCompose`, subscribes to the
checkout topic on the host listener (127.0.0.1:19092, SASL as compose's `subscriber` user, in a
consumer group named `subscriber-…` as its ACLs allow), creates a draft through the checkout API and
reads the `OrderDrafted` event with the `nceflow-schemas` package. It needs a Docker engine and is
skipped, with that reason, on machines without one.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from nceflow.devstack.pytest_plugin import docker_available
from nceflow.schemas import topics
from nceflow.schemas.envelope import from_kafka

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.docker,
    pytest.mark.skipif(not docker_available(), reason="needs a Docker engine to run compose"),
]


def _dev_token() -> str:
    # The dev token signer of checkout, as a platform's test would mint its customer's token.
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "nceflow.devstack.cli",
            "dev",
            "token",
            "--account",
            "acme",
            "--reseller",
            "adatum-direct",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


async def test_a_subscriber_sees_order_drafted_from_a_composed_nceflow() -> None:
    from testcontainers.compose import DockerCompose

    with DockerCompose(str(ROOT), compose_file_name="docker-compose.yml", build=True, wait=True):
        consumer = AIOKafkaConsumer(
            topics.CHECKOUT_ORDER_EVENTS,
            bootstrap_servers="127.0.0.1:19092",
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="PLAIN",
            sasl_plain_username="subscriber",
            sasl_plain_password=os.environ.get(
                "NCEFLOW_KAFKA_SUBSCRIBER_PASSWORD", "nceflow-dev-kafka-subscriber"
            ),
            group_id="subscriber-example",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            async with httpx.AsyncClient(base_url="http://127.0.0.1:8002") as checkout:
                response = await checkout.post(
                    "/v1/drafts", json={}, headers={"Authorization": f"Bearer {_dev_token()}"}
                )
                assert response.status_code == 201
                draft_id = response.json()["id"]
            message = await asyncio.wait_for(consumer.getone(), timeout=60)
            event = from_kafka(message.value)
            assert event.subject == draft_id
            assert event.type == "com.nceflow.checkout.OrderDrafted.v1"
        finally:
            await consumer.stop()
