"""The Kafka security settings (services/settings.py) as each client library takes them.

kafka-python (the relay, the archiver, the inbound service, the topic admin) and aiokafka (the
replay's run topic) take the same keyword options; faust (the aggregator and the router) takes
one credentials object, which it turns into aiokafka's options for its consumer, producer and
admin alike (`faust.transport.drivers.aiokafka.credentials_to_aiokafka_auth`). The TLS side is
one `ssl.SSLContext` for all of them, so every client verifies the brokers the same way: the
certificate chain against the configured CA (the system's when none is), and the host name
against the certificate.
"""

from __future__ import annotations

import ssl
from typing import Any

import faust

from services.logs import keep_secret
from services.settings import Settings


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context of every client, or None when the protocol has no TLS."""
    if not settings.kafka_security_protocol.endswith("SSL"):
        return None
    context = ssl.create_default_context(
        cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
    )
    if settings.kafka_ssl_certfile is not None:
        password = settings.kafka_ssl_key_password
        context.load_cert_chain(
            settings.kafka_ssl_certfile,
            settings.kafka_ssl_keyfile,
            keep_secret(password.get_secret_value()) if password is not None else None,
        )
    return context


def client_options(settings: Settings) -> dict[str, Any]:
    """Where the brokers are and how to reach them, as keyword options of kafka-python's
    `KafkaProducer`, `KafkaConsumer` and `KafkaAdminClient` and of aiokafka's clients."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.require_kafka_bootstrap(),
        "security_protocol": settings.kafka_security_protocol,
    }
    context = ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if settings.kafka_security_protocol.startswith("SASL_"):
        assert settings.kafka_sasl_password is not None  # the settings refuse SASL without one
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_sasl_username,
            "sasl_plain_password": keep_secret(settings.kafka_sasl_password.get_secret_value()),
        }
    return options


def faust_credentials(settings: Settings) -> faust.auth.Credentials | None:
    """faust's `broker_credentials`: None for PLAINTEXT, as faust's own default."""
    context = ssl_context(settings)
    if settings.kafka_security_protocol.startswith("SASL_"):
        assert settings.kafka_sasl_password is not None
        # faust makes it SASL_SSL exactly when a context is given.
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=keep_secret(settings.kafka_sasl_password.get_secret_value()),
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None
