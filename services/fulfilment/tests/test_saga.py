"""The saga's rules, without servers: step order, request ids, retries, failures, re-drive."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from nceflow.fulfilment.domain import failures
from nceflow.fulfilment.domain.saga import (
    MAX_CART_REPLACEMENTS,
    RetryPolicy,
    Saga,
    SagaStatus,
    SagaStep,
)
from nceflow.schemas import (
    FulfilmentStarted,
    FulfilmentStep,
    FulfilmentStepCompleted,
    OrderFailed,
    OrderPlaced,
    ProvisioningStatus,
)
from nceflow.schemas.examples import (
    order_confirmed_existing_indirect,
    order_confirmed_new_direct,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def ids() -> itertools.count[int]:
    return itertools.count(1)


def new_saga(*, existing: bool = False) -> Saga:
    counter = ids()
    order = order_confirmed_existing_indirect() if existing else order_confirmed_new_direct()
    saga, events = Saga.start(
        order, event_id="ev-1", now=NOW, new_id=lambda: f"rid-{next(counter)}"
    )
    assert [type(e) for e in events] == [FulfilmentStarted]
    return saga


def test_new_tenant_runs_create_customer_mca_cart_checkout_follow() -> None:
    saga = new_saga()
    seen = []
    assert saga.next_step() is SagaStep.CREATE_CUSTOMER
    seen.append(saga.next_step())
    saga.record_customer("cust-1", created=True, already_done=False, now=NOW)
    seen.append(saga.next_step())
    saga.record_mca(already_done=False, now=NOW)
    seen.append(saga.next_step())
    saga.record_cart("cart-1", expires_at=NOW + timedelta(days=7), now=NOW)
    seen.append(saga.next_step())
    saga.record_checkout(["o-1"], already_done=False, now=NOW, follow_for=timedelta(hours=1))
    seen.append(saga.next_step())
    assert seen == [
        SagaStep.CREATE_CUSTOMER,
        SagaStep.ATTEST_MCA,
        SagaStep.CREATE_CART,
        SagaStep.CHECK_OUT,
        SagaStep.FOLLOW_ORDER,
    ]
    assert saga.status is SagaStatus.PLACED


def test_existing_tenant_with_soe_verifies_relationship_and_adds_qualification() -> None:
    saga = new_saga(existing=True)  # an indirect sale: the reseller is validated first
    assert saga.next_step() is SagaStep.VALIDATE_RESELLER
    saga.record_reseller_validated(NOW)
    assert Saga.model_validate_json(saga.model_dump_json()).reseller_validated is True
    assert saga.next_step() is SagaStep.FIND_CUSTOMER
    saga.record_customer("cust-1", created=False, already_done=True, now=NOW)
    assert saga.next_step() is SagaStep.VERIFY_RELATIONSHIP
    saga.record_relationship_verified(NOW)
    assert saga.next_step() is SagaStep.ATTEST_MCA
    saga.record_mca(already_done=True, now=NOW)
    assert saga.next_step() is SagaStep.ADD_QUALIFICATION
    events = saga.record_qualification(already_done=False, now=NOW)
    assert isinstance(events[0], FulfilmentStepCompleted)
    assert events[0].step is FulfilmentStep.QUALIFICATION_ADDED
    assert saga.next_step() is SagaStep.CREATE_CART


def test_request_ids_are_made_before_any_call_and_survive_a_round_trip() -> None:
    saga = new_saga()
    assert {saga.customer_request_id, saga.cart_request_id, saga.checkout_request_id} == {
        "rid-1",
        "rid-2",
        "rid-3",
    }
    saga.mark_checkout_attempted(NOW)
    again = Saga.model_validate_json(saga.model_dump_json())
    assert again.checkout_request_id == "rid-3"
    assert again.checkout_attempted is True


def test_step_events_carry_the_ids_the_contract_requires() -> None:
    saga = new_saga()
    (customer,) = saga.record_customer("cust-1", created=True, already_done=False, now=NOW)
    assert isinstance(customer, FulfilmentStepCompleted)
    assert customer.step is FulfilmentStep.CUSTOMER_CREATED
    assert customer.customer_id == "cust-1"
    saga.record_mca(already_done=False, now=NOW)
    (cart,) = saga.record_cart("cart-1", expires_at=None, now=NOW)
    assert isinstance(cart, FulfilmentStepCompleted)
    assert cart.cart_id == "cart-1"
    checked_out, placed = saga.record_checkout(
        ["o-1", "o-2"], already_done=True, now=NOW, follow_for=timedelta(hours=1)
    )
    assert isinstance(checked_out, FulfilmentStepCompleted)
    assert checked_out.already_done
    assert checked_out.order_ids == ["o-1", "o-2"]
    assert isinstance(placed, OrderPlaced)
    assert placed.provisioning is ProvisioningStatus.PENDING
    assert placed.order_ids == ["o-1", "o-2"]
    assert placed.customer_id == "cust-1"


def test_provisioning_completed_emits_order_placed_with_subscriptions_and_finishes() -> None:
    saga = new_saga()
    saga.record_customer("c", created=True, already_done=False, now=NOW)
    saga.record_mca(already_done=False, now=NOW)
    saga.record_cart("cart", expires_at=None, now=NOW)
    saga.record_checkout(["o"], already_done=False, now=NOW, follow_for=timedelta(hours=1))
    assert saga.record_provisioning([], completed=False, now=NOW) == []
    assert saga.status is SagaStatus.PLACED
    (placed,) = saga.record_provisioning(["s-1"], completed=True, now=NOW)
    assert isinstance(placed, OrderPlaced)
    assert placed.provisioning is ProvisioningStatus.COMPLETED
    assert placed.subscription_ids == ["s-1"]
    assert saga.is_finished
    assert saga.next_step() is None


def test_following_stops_quietly_after_the_follow_window() -> None:
    saga = new_saga()
    saga.record_customer("c", created=True, already_done=False, now=NOW)
    saga.record_mca(already_done=False, now=NOW)
    saga.record_cart("cart", expires_at=None, now=NOW)
    saga.record_checkout(["o"], already_done=False, now=NOW, follow_for=timedelta(minutes=5))
    later = NOW + timedelta(minutes=6)
    assert saga.record_provisioning([], completed=False, now=later) == []
    assert saga.status is SagaStatus.COMPLETED


def test_defer_backs_off_exponentially_and_honours_retry_after() -> None:
    saga = new_saga()
    policy = RetryPolicy(initial_delay=timedelta(seconds=1), max_delay=timedelta(seconds=10))
    dues = [saga.defer("503", now=NOW, policy=policy, jitter=1.0) for _ in range(6)]
    delays = [(due - NOW).total_seconds() for due in dues if due is not None]
    assert delays == [1, 2, 4, 8, 10, 10]
    due = saga.defer("429", now=NOW, policy=policy, retry_after=timedelta(seconds=30), jitter=1.0)
    assert due == NOW + timedelta(seconds=30)
    assert saga.attempts == 7
    assert saga.last_error == "429"


def test_defer_gives_up_after_the_policy_window() -> None:
    saga = new_saga()
    policy = RetryPolicy(give_up_after=timedelta(minutes=10))
    assert saga.defer("503", now=NOW, policy=policy) is not None
    assert saga.defer("503", now=NOW + timedelta(minutes=11), policy=policy) is None


def test_a_completed_step_resets_the_retry_count() -> None:
    saga = new_saga()
    saga.defer("503", now=NOW, policy=RetryPolicy())
    saga.record_customer("c", created=True, already_done=False, now=NOW)
    assert saga.attempts == 0
    assert saga.next_attempt_at is None
    assert saga.retrying_since is None


def test_relationship_wait_window_then_failure() -> None:
    saga = new_saga(existing=True)
    window = timedelta(minutes=15)
    assert saga.relationship_wait(NOW, window) == window
    assert saga.relationship_wait(NOW + timedelta(minutes=10), window) == timedelta(minutes=5)
    assert saga.relationship_wait(NOW + timedelta(minutes=15), window) is None


def test_fail_emits_order_failed_with_code_reason_and_link() -> None:
    saga = new_saga(existing=True)
    failure = failures.relationship_not_accepted("https://admin.microsoft.com/x")
    (event,) = saga.fail(failure, now=NOW)
    assert isinstance(event, OrderFailed)
    assert event.code == "20002"
    assert event.action_url == "https://admin.microsoft.com/x"
    assert event.retryable
    assert event.failed_step is FulfilmentStep.RELATIONSHIP_VERIFIED
    assert saga.status is SagaStatus.FAILED
    assert saga.next_step() is None


def test_domain_taken_is_not_retryable_and_names_the_domain() -> None:
    failure = failures.domain_taken("acmecorp.onmicrosoft.com")
    assert not failure.retryable
    assert failure.code == "domain_taken"
    assert "acmecorp.onmicrosoft.com" in failure.reason


def test_redrive_resumes_a_failed_saga_at_the_failed_step_with_new_request_ids() -> None:
    counter = itertools.count(500)
    saga = new_saga(existing=True)
    saga.record_reseller_validated(NOW)
    saga.record_customer("c", created=False, already_done=True, now=NOW)
    saga.relationship_wait(NOW, timedelta(minutes=1))
    saga.fail(failures.relationship_not_accepted(None), now=NOW)
    spent = {saga.customer_request_id, saga.cart_request_id, saga.checkout_request_id}
    assert saga.redrive(now=NOW, new_id=lambda: f"id-{next(counter)}") is True
    assert saga.status is SagaStatus.IN_PROGRESS
    assert saga.failure is None
    assert saga.relationship_wait_started_at is None
    assert saga.next_step() is SagaStep.VERIFY_RELATIONSHIP
    # The failure was Partner Center's answer: its ids are spent ("Partner Center REST headers").
    renewed = (saga.customer_request_id, saga.cart_request_id, saga.checkout_request_id)
    assert renewed == ("id-500", "id-501", "id-502")
    assert not spent & set(renewed)


def test_an_mca_recheck_checks_out_with_a_new_request_id() -> None:
    saga = new_saga()
    saga.record_customer("c", created=True, already_done=False, now=NOW)
    saga.record_mca(already_done=False, now=NOW)
    saga.record_cart("cart", expires_at=None, now=NOW)
    refused = saga.checkout_request_id
    assert saga.recheck_mca(NOW, lambda: "fresh") is True
    assert saga.checkout_request_id == "fresh" != refused
    assert saga.recheck_mca(NOW, lambda: "again") is False


def test_redrive_never_replaces_a_placed_order() -> None:
    saga = new_saga()
    saga.record_customer("c", created=True, already_done=False, now=NOW)
    saga.record_mca(already_done=False, now=NOW)
    saga.record_cart("cart", expires_at=None, now=NOW)
    saga.record_checkout(["o"], already_done=False, now=NOW, follow_for=timedelta(hours=1))
    assert saga.redrive(now=NOW, new_id=lambda: "unused") is False
    assert saga.status is SagaStatus.PLACED


def test_expired_cart_is_replaced_with_new_request_ids() -> None:
    counter = itertools.count(100)
    saga = new_saga()
    saga.record_customer("c", created=True, already_done=False, now=NOW)
    saga.record_mca(already_done=False, now=NOW)
    saga.record_cart("cart-1", expires_at=NOW + timedelta(days=7), now=NOW)
    saga.mark_checkout_attempted(NOW)
    assert not saga.cart_expired(NOW + timedelta(days=6))
    assert saga.cart_expired(NOW + timedelta(days=7))
    old = (saga.cart_request_id, saga.checkout_request_id)
    saga.replace_expired_cart(now=NOW, new_id=lambda: f"new-{next(counter)}")
    assert saga.cart is None
    assert saga.replaced_carts == ["cart-1"]
    assert (saga.cart_request_id, saga.checkout_request_id) == ("new-100", "new-101")
    assert (saga.cart_request_id, saga.checkout_request_id) != old
    assert saga.checkout_attempted is False
    assert saga.next_step() is SagaStep.CREATE_CART


def test_cart_replacements_are_capped() -> None:
    saga = new_saga()
    saga.record_customer("c", created=True, already_done=False, now=NOW)
    saga.record_mca(already_done=False, now=NOW)
    for n in range(MAX_CART_REPLACEMENTS):
        saga.record_cart(f"cart-{n}", expires_at=NOW, now=NOW)
        assert saga.replace_expired_cart(now=NOW, new_id=lambda: "new") is True
    saga.record_cart("cart-last", expires_at=NOW, now=NOW)
    assert saga.replace_expired_cart(now=NOW, new_id=lambda: "new") is False
    assert saga.cart is not None
    assert saga.cart.cart_id == "cart-last"
    assert len(saga.replaced_carts) == MAX_CART_REPLACEMENTS


def test_a_gone_availability_is_read_again_once_with_a_new_cart() -> None:
    counter = itertools.count(100)
    saga = new_saga()
    saga.record_customer("c", created=True, already_done=False, now=NOW)
    saga.record_mca(already_done=False, now=NOW)
    saga.record_cart("cart-1", expires_at=NOW + timedelta(days=7), now=NOW)
    old = (saga.cart_request_id, saga.checkout_request_id)
    # At the checkout: the cart is dropped and both calls get new request ids.
    assert saga.availability_gone(now=NOW, new_id=lambda: f"new-{next(counter)}") is True
    assert saga.cart is None
    assert saga.replaced_carts == ["cart-1"]
    assert (saga.cart_request_id, saga.checkout_request_id) == ("new-100", "new-101") != old
    assert saga.next_step() is SagaStep.REFRESH_AVAILABILITY
    lines = len(saga.order.items)
    saga.record_availability([f"P:S:new-{n}" for n in range(lines)], now=NOW)
    assert saga.next_step() is SagaStep.CREATE_CART
    assert [saga.catalog_item_id(n) for n in range(lines)] == [f"P:S:new-{n}" for n in range(lines)]
    saga.record_cart("cart-2", expires_at=None, now=NOW)
    # Gone again after the re-read: no second loop, the order fails.
    assert saga.availability_gone(now=NOW, new_id=lambda: "unused") is False
    assert saga.cart is not None
    assert saga.cart.cart_id == "cart-2"
    reloaded = Saga.model_validate_json(saga.model_dump_json())
    assert reloaded.catalog_item_id(0) == "P:S:new-0"


def test_a_gone_availability_at_the_cart_renews_the_cart_request_id() -> None:
    saga = new_saga()
    saga.record_customer("c", created=True, already_done=False, now=NOW)
    saga.record_mca(already_done=False, now=NOW)
    checkout_id = saga.checkout_request_id
    assert saga.catalog_item_id(0) == saga.order.items[0].catalog_item_id
    assert saga.availability_gone(now=NOW, new_id=lambda: "new-cart-id") is True
    assert saga.cart_request_id == "new-cart-id"
    assert saga.checkout_request_id == checkout_id  # never sent
    assert saga.replaced_carts == []
    assert saga.next_step() is SagaStep.REFRESH_AVAILABILITY
    with pytest.raises(ValueError, match="one catalog item per line"):
        saga.record_availability([], now=NOW)


def test_the_cart_save_flags_the_checkout_so_a_reloaded_saga_reads_the_cart_first() -> None:
    saga = new_saga()
    saga.record_customer("c", created=True, already_done=False, now=NOW)
    saga.record_mca(already_done=False, now=NOW)
    saga.record_cart("cart-1", expires_at=NOW + timedelta(days=7), now=NOW)
    assert saga.checkout_attempted is True  # saved with the cart: no write of its own
    reloaded = Saga.model_validate_json(saga.model_dump_json())  # after a crash
    assert reloaded.checkout_attempted is True
    assert reloaded.take_unsent_checkout() is False  # may have been sent: read the cart
    assert saga.take_unsent_checkout() is True  # the run that made the cart sent nothing
    assert saga.take_unsent_checkout() is False  # a second checkout in the run reads first


def test_a_replaced_cart_is_fresh_again_for_the_run_that_makes_it() -> None:
    saga = new_saga()
    saga.record_customer("c", created=True, already_done=False, now=NOW)
    saga.record_mca(already_done=False, now=NOW)
    saga.record_cart("cart-1", expires_at=NOW + timedelta(days=7), now=NOW)
    saga.replace_expired_cart(now=NOW, new_id=lambda: "new")
    assert saga.take_unsent_checkout() is False
    saga.record_cart("cart-2", expires_at=NOW + timedelta(days=14), now=NOW)
    assert saga.take_unsent_checkout() is True


def test_checkout_before_cart_is_a_bug() -> None:
    saga = new_saga()
    with pytest.raises(ValueError, match="before the cart"):
        saga.record_checkout(["o"], already_done=False, now=NOW, follow_for=timedelta(hours=1))


def test_mca_missing_at_checkout_is_attested_again_once() -> None:
    saga = new_saga()
    saga.record_customer("c", created=True, already_done=False, now=NOW)
    saga.record_mca(already_done=False, now=NOW)
    saga.record_cart("cart", expires_at=None, now=NOW)
    assert saga.recheck_mca(NOW, lambda: "new-id") is True
    assert saga.next_step() is SagaStep.ATTEST_MCA
    saga.record_mca(already_done=False, now=NOW)
    assert saga.next_step() is SagaStep.CHECK_OUT
    assert saga.recheck_mca(NOW, lambda: "new-id") is False
