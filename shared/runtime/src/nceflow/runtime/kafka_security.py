"""The same TLS and SASL settings for FastStream's consumers as for the aiokafka producers."""

from __future__ import annotations

from faststream.security import (
    BaseSecurity,
    SASLPlaintext,
    SASLScram256,
    SASLScram512,
)

from nceflow.runtime.settings import KafkaSettings, SaslMechanism


def broker_security(settings: KafkaSettings) -> BaseSecurity | None:
    """FastStream's `security=` for a `KafkaBroker`: None for PLAINTEXT (dev mode)."""
    context = settings.ssl_context()
    if not settings.uses_sasl:
        return BaseSecurity(ssl_context=context, use_ssl=True) if settings.uses_tls else None
    assert settings.sasl_username is not None
    assert settings.sasl_password is not None
    password = settings.sasl_password.get_secret_value()
    kinds: dict[SaslMechanism, type[SASLPlaintext | SASLScram256 | SASLScram512]] = {
        SaslMechanism.PLAIN: SASLPlaintext,
        SaslMechanism.SCRAM_SHA_256: SASLScram256,
        SaslMechanism.SCRAM_SHA_512: SASLScram512,
    }
    return kinds[settings.sasl_mechanism](
        settings.sasl_username, password, ssl_context=context, use_ssl=settings.uses_tls
    )
