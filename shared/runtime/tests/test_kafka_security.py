"""TLS and SASL reach every Kafka client: the aiokafka producers and consumers and FastStream's
brokers get the same settings, and SASL without credentials is refused at start."""

from __future__ import annotations

import ssl

import pytest
from faststream.security import SASLScram512
from pydantic import SecretStr, ValidationError

from nceflow.runtime.kafka_producer import reliable_producer
from nceflow.runtime.kafka_security import broker_security
from nceflow.runtime.settings import KafkaSecurityProtocol, KafkaSettings, SaslMechanism


def sasl_ssl() -> KafkaSettings:
    return KafkaSettings(
        bootstrap_servers="kafka-1.internal:9093",
        security_protocol=KafkaSecurityProtocol.SASL_SSL,
        sasl_mechanism=SaslMechanism.SCRAM_SHA_512,
        sasl_username="checkout",
        sasl_password=SecretStr("the-checkout-principal-secret"),
    )


async def test_sasl_ssl_reaches_the_aiokafka_clients() -> None:
    options = sasl_ssl().client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "checkout"
    assert options["sasl_plain_password"] == "the-checkout-principal-secret"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    producer = reliable_producer(sasl_ssl(), client_id="t")  # aiokafka accepts the combination
    try:
        assert producer.client._security_protocol == "SASL_SSL"
        assert producer.client._sasl_mechanism == "SCRAM-SHA-512"
    finally:
        await producer.stop()


def test_the_consumers_brokers_get_the_same_security() -> None:
    security = broker_security(sasl_ssl())
    assert isinstance(security, SASLScram512)
    assert security.use_ssl
    assert broker_security(KafkaSettings()) is None  # PLAINTEXT: dev mode only


def test_sasl_without_credentials_is_refused_and_secrets_stay_hidden() -> None:
    with pytest.raises(ValidationError, match="NCEFLOW_KAFKA_SASL_USERNAME"):
        KafkaSettings(security_protocol=KafkaSecurityProtocol.SASL_SSL)
    assert "the-checkout-principal-secret" not in repr(sasl_ssl())
    assert "the-checkout-principal-secret" not in sasl_ssl().model_dump_json()
