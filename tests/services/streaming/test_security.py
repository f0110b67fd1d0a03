"""The Kafka security settings as each client library takes them, for every protocol and SASL
mechanism: kafka-python, aiokafka and faust. No broker here speaks SASL, so SASL is checked
against each library's own handling of the options (its SASL client's first message, its own
validation, faust's own conversion to aiokafka's options); TLS runs for real in
tests/system/test_tls.py."""

from __future__ import annotations

import asyncio
import logging
import ssl
from pathlib import Path
from typing import Any, get_args

import faust
import pytest
import trustme
from aiokafka import AIOKafkaProducer
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError
from kafka.net.sasl import get_sasl_mechanism
from pydantic import ValidationError

from services import logs
from services.settings import KafkaSecurityProtocol, SaslMechanism, Settings
from services.streaming.security import client_options, faust_credentials, ssl_context

PASSWORD = "pw-7d1c\"e'9\\f"  # quotes and a backslash: escaped differently by repr and JSON
USERNAME = "tandem-relay"
PROTOCOLS: tuple[KafkaSecurityProtocol, ...] = get_args(KafkaSecurityProtocol)
MECHANISMS: tuple[SaslMechanism, ...] = get_args(SaslMechanism)
CASES = [
    (protocol, mechanism)
    for protocol in PROTOCOLS
    for mechanism in (MECHANISMS if protocol.startswith("SASL_") else ("PLAIN",))
]


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


def settings_for(
    protocol: KafkaSecurityProtocol, mechanism: SaslMechanism, ca_file: Path, **more: Any
) -> Settings:
    sasl = protocol.startswith("SASL_")
    return Settings(
        KAFKA_BOOTSTRAP="broker-1.example:9096,broker-2.example:9096",
        KAFKA_SECURITY_PROTOCOL=protocol,
        KAFKA_SASL_MECHANISM=mechanism,
        KAFKA_SASL_USERNAME=USERNAME if sasl else None,
        KAFKA_SASL_PASSWORD=PASSWORD if sasl else None,
        KAFKA_SSL_CAFILE=ca_file,
        **more,
    )


@pytest.mark.parametrize(("protocol", "mechanism"), CASES)
def test_kafka_python_takes_the_options(
    protocol: KafkaSecurityProtocol, mechanism: SaslMechanism, ca_file: Path
) -> None:
    options = client_options(settings_for(protocol, mechanism, ca_file))
    for client in (KafkaProducer, KafkaConsumer, KafkaAdminClient):
        assert set(options) <= set(client.DEFAULT_CONFIG), client  # type: ignore[attr-defined]
    assert options["bootstrap_servers"] == "broker-1.example:9096,broker-2.example:9096"
    assert options["security_protocol"] == protocol
    if protocol.startswith("SASL_"):
        # kafka-python's own SASL client, made from the options as its connection makes it.
        sasl = get_sasl_mechanism(options["sasl_mechanism"])(host="broker-1.example", **options)
        first = sasl.auth_bytes()
        if mechanism == "PLAIN":
            assert first.split(b"\0")[-2:] == [USERNAME.encode(), PASSWORD.encode()]
        else:
            assert first.startswith(f"n,,n={USERNAME},r=".encode())
    else:
        assert "sasl_mechanism" not in options and "sasl_plain_password" not in options
    assert_verifies_brokers(options.get("ssl_context"), protocol, ca_file)


def assert_verifies_brokers(
    context: ssl.SSLContext | None, protocol: KafkaSecurityProtocol, ca_file: Path
) -> None:
    if not protocol.endswith("SSL"):
        assert context is None
        return
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    # The configured CA is among those it trusts.
    ca = ssl.PEM_cert_to_DER_cert(ca_file.read_text())
    assert ca in context.get_ca_certs(binary_form=True)


@pytest.mark.parametrize(("protocol", "mechanism"), CASES)
def test_aiokafka_takes_the_options(
    protocol: KafkaSecurityProtocol, mechanism: SaslMechanism, ca_file: Path
) -> None:
    options = client_options(settings_for(protocol, mechanism, ca_file))

    async def made() -> AIOKafkaProducer:
        # The constructor checks the options (a context for SSL, a known mechanism, PLAIN's
        # username and password) without connecting.
        return AIOKafkaProducer(**options)

    client = asyncio.run(made()).client
    assert client._security_protocol == protocol
    assert client._ssl_context is options.get("ssl_context")
    if protocol.startswith("SASL_"):
        assert client._sasl_mechanism == mechanism
        assert (client._sasl_plain_username, client._sasl_plain_password) == (USERNAME, PASSWORD)


@pytest.mark.parametrize(("protocol", "mechanism"), CASES)
def test_faust_gives_aiokafka_the_same_options(
    protocol: KafkaSecurityProtocol, mechanism: SaslMechanism, ca_file: Path
) -> None:
    settings = settings_for(protocol, mechanism, ca_file)
    credentials = faust_credentials(settings)
    app = faust.App("tandem-test", broker_credentials=credentials)
    assert app.conf.broker_credentials is credentials
    # What faust hands its consumer, producer and admin (aiokafka) for these credentials.
    given = dict(credentials_to_aiokafka_auth(app.conf.broker_credentials, app.conf.ssl_context))
    expected = {k: v for k, v in client_options(settings).items() if k != "bootstrap_servers"}
    assert_verifies_brokers(given.pop("ssl_context", None), protocol, ca_file)
    expected.pop("ssl_context", None)
    assert given == expected


def test_a_client_certificate_is_presented(tmp_path: Path) -> None:
    ca = trustme.CA()
    client = ca.issue_cert("tandem-aggregator")
    (ca_file, cert_file, key_file) = (tmp_path / name for name in ("ca", "cert", "key"))
    ca.cert_pem.write_to_path(str(ca_file))
    client.cert_chain_pems[0].write_to_path(str(cert_file))
    client.private_key_pem.write_to_path(str(key_file))
    settings = settings_for(
        "SSL", "PLAIN", ca_file, KAFKA_SSL_CERTFILE=cert_file, KAFKA_SSL_KEYFILE=key_file
    )
    context = ssl_context(settings)
    assert context is not None
    # A server that requires client certificates from this CA accepts the handshake.
    server = ca.issue_cert("127.0.0.1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.configure_cert(server_context)
    ca.configure_trust(server_context)
    server_context.verify_mode = ssl.CERT_REQUIRED
    assert handshake(context, server_context) == "tandem-aggregator"


def handshake(client: ssl.SSLContext, server: ssl.SSLContext) -> str:
    """The common name of the certificate the client presented, through memory BIOs."""
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    c = client.wrap_bio(c_in, c_out, server_hostname="127.0.0.1")
    s = server.wrap_bio(s_in, s_out, server_side=True)
    done = {"c": False, "s": False}
    for _ in range(10):
        for name, side in (("c", c), ("s", s)):
            try:
                side.do_handshake()
                done[name] = True
            except ssl.SSLWantReadError:
                pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            break
    peer = s.getpeercert()
    assert peer
    subject = dict(pair[0] for pair in peer["subject"])
    return str(subject.get("commonName") or peer["subjectAltName"][0][1])


def test_incomplete_security_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"):
        Settings(KAFKA_SECURITY_PROTOCOL="SASL_SSL", KAFKA_SASL_USERNAME="u")
    with pytest.raises(ValidationError, match="KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE"):
        Settings(KAFKA_SSL_CERTFILE="/etc/tandem/client.pem")
    with pytest.raises(ValidationError):
        Settings(KAFKA_SECURITY_PROTOCOL="SASL", KAFKA_SASL_USERNAME="u", KAFKA_SASL_PASSWORD="p")
    with pytest.raises(ValidationError):
        Settings(KAFKA_SASL_MECHANISM="GSSAPI")


def test_the_password_reaches_the_services_but_is_never_shown(ca_file: Path) -> None:
    settings = settings_for("SASL_SSL", "SCRAM-SHA-256", ca_file)
    assert settings.child_env()["KAFKA_SASL_PASSWORD"] == PASSWORD  # a child process needs it
    assert Settings(**settings.child_env()).kafka_sasl_password == settings.kafka_sasl_password
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert PASSWORD not in shown and USERNAME in shown
    assert PASSWORD not in repr(faust_credentials(settings))


def test_a_library_logging_its_configuration_shows_no_password(
    broker_bootstrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """kafka-python's admin logs its whole configuration at DEBUG. Against a broker that does
    not speak SASL (the embedded one), the handshake fails, and every line logged on the way,
    through the services' own log format, masks the password."""
    settings = Settings(
        KAFKA_BOOTSTRAP=broker_bootstrap,
        KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
        KAFKA_SASL_USERNAME=USERNAME,
        KAFKA_SASL_PASSWORD=PASSWORD,
    )
    logs.configure("test", "DEBUG")
    logging.getLogger("kafka").setLevel(logging.DEBUG)
    try:
        with pytest.raises(KafkaError):
            KafkaAdminClient(**client_options(settings), bootstrap_timeout_ms=2000)
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger("kafka").setLevel(logging.WARNING)
    written = capsys.readouterr().err
    configuration = [line for line in written.splitlines() if "with configuration" in line]
    assert configuration and "sasl_plain_password" in configuration[0]
    assert logs.MASK in configuration[0]
    assert PASSWORD not in written
    for escaped in (repr(PASSWORD)[1:-1], PASSWORD.replace("\\", "\\\\").replace('"', '\\"')):
        assert escaped not in written
