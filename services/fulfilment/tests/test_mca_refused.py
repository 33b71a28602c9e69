"""Partner Center refuses the MCA attestation: the order ends in `OrderFailed` with Microsoft's
code and the agreement link, after one attestation call (no retry storm) and before any cart.

The simulator's `error` fault answers every `POST /v1/customers/*/agreements` with a 400 /
600008 (Microsoft's generic bad request) naming a template Microsoft no longer accepts; the
data sent is valid. 600061 ("a partner confirmed agreement already exists", the one code
"Confirm customer acceptance of the Microsoft Customer Agreement" documents) is no refusal:
the agreement is on record, so the order goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.app import AppContext
from nceflow.fulfilment.domain.saga import SagaStatus
from nceflow.fulfilment.ops import status
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import (
    ErrorSource,
    FulfilmentStep,
    FulfilmentStepCompleted,
    OrderConfirmed,
    OrderFailed,
    OrderPlaced,
)
from nceflow.testing.fulfilment import (
    ended,
    existing_tenant_order,
    new_tenant_order,
    publish_orders,
    sim_items,
    sim_requests,
)

Runner = Callable[[Settings], AbstractAsyncContextManager[AppContext]]

AGREEMENTS = "/v1/customers/*/agreements"
REFUSAL = "Microsoft Customer Agreement Template ID '117a1c1c' is no longer supported."
AGREEMENT_LINK = "https://aka.ms/customeragreement"


def shown_agreement(order: OrderConfirmed) -> OrderConfirmed:
    """The order with the agreement link the customer was shown in the wizard."""
    mca = order.mca.model_copy(update={"agreement_link": AGREEMENT_LINK})
    return order.model_copy(update={"mca": mca})


async def test_refused_mca_fails_the_order_once_with_the_agreement_link(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    refusal = {
        "kind": "error",
        "method": "POST",
        "path": AGREEMENTS,
        "status": 400,
        "code": 600008,
        "description": REFUSAL,
    }  # no count: a retry would be refused again and show up in the request log
    (await sim.post("/_sim/faults", json=refusal)).raise_for_status()
    # Fabrikam has the direct partner's relationship and no MCA; the new tenant gets none.
    existing = shown_agreement(
        existing_tenant_order("ord-mca-existing", "fabrikam.onmicrosoft.com")
    )
    new = shown_agreement(new_tenant_order("ord-mca-new", "mcarefused", indirect=True))
    order_ids = ("ord-mca-existing", "ord-mca-new")

    async with running(settings):
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [existing, new])
        for order_id in order_ids:
            await events.wait_for(ended(order_id), within=20)
        sagas = [await status(order_id, settings) for order_id in order_ids]

    for order_id, saga in zip(order_ids, sagas, strict=True):
        (failed,) = [e for e in events.of(order_id) if isinstance(e, OrderFailed)]
        assert not [e for e in events.of(order_id) if isinstance(e, OrderPlaced)]
        assert failed.code == "600008"
        assert failed.code_source is ErrorSource.PARTNER_CENTER
        assert failed.failed_step is FulfilmentStep.MCA_ATTESTED
        assert failed.action_url == AGREEMENT_LINK  # the agreement the wizard showed
        assert "Microsoft Customer Agreement" in failed.reason
        assert "link" in failed.reason
        assert failed.retryable is True  # once accepted, the same order can be re-driven
        assert saga is not None
        assert saga.status is SagaStatus.FAILED  # terminal: nothing is parked for a retry
        assert saga.failure is not None
        assert saga.failure.code == "600008"

    customers = {c["domain"]: c for c in await sim_items(sim, "/_sim/customers")}
    fabrikam = customers["fabrikam.onmicrosoft.com"]
    created = customers["mcarefused.onmicrosoft.com"]  # the tenant step ran before the MCA step
    attestations = await sim_requests(sim, "POST", AGREEMENTS)
    assert [entry["status"] for entry in attestations] == [400, 400]  # one call per order
    assert sorted(entry["path"] for entry in attestations) == sorted(
        f"/v1/customers/{c['id']}/agreements" for c in (fabrikam, created)
    )
    for customer in (fabrikam, created):
        assert customer["mcaAccepted"] is False
        assert await sim_items(sim, f"/_sim/customers/{customer['id']}/carts") == []
        assert await sim_items(sim, f"/_sim/customers/{customer['id']}/orders") == []
    assert await sim_requests(sim, "POST", "/v1/customers/*/carts") == []
    # the new tenant, created once
    assert len(await sim_requests(sim, "POST", "/v1/customers")) == 1
    (rule,) = await sim_items(sim, "/_sim/faults")
    assert rule["hits"] == 2


async def test_an_agreement_reported_as_existing_is_no_refusal(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    """600061 counts as done. Here the simulator says so while Fabrikam has no MCA, so its
    checkout answers 13605 (MCA missing) and fulfilment attests again: still one order."""
    exists = {
        "kind": "error",
        "method": "POST",
        "path": AGREEMENTS,
        "status": 400,
        "code": 600061,
        "description": "A partner confirmed agreement already exists for the customer.",
        "count": 1,
    }
    (await sim.post("/_sim/faults", json=exists)).raise_for_status()
    order = existing_tenant_order("ord-mca-exists", "fabrikam.onmicrosoft.com")

    async with running(settings):
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])
        await events.wait_for(ended("ord-mca-exists"), within=20)

    seen = events.of("ord-mca-exists")
    assert [e for e in seen if isinstance(e, OrderPlaced)]
    assert not [e for e in seen if isinstance(e, OrderFailed)]
    mca_steps = [
        e.already_done
        for e in seen
        if isinstance(e, FulfilmentStepCompleted) and e.step is FulfilmentStep.MCA_ATTESTED
    ]
    assert mca_steps == [True, False]  # taken as done, then attested after checkout's 13605
    attestations = await sim_requests(sim, "POST", AGREEMENTS)
    assert [entry["status"] for entry in attestations] == [400, 201]
    fabrikam = next(
        c for c in await sim_items(sim, "/_sim/customers") if c["domain"].startswith("fabrikam.")
    )
    assert len(await sim_items(sim, f"/_sim/customers/{fabrikam['id']}/orders")) == 1
