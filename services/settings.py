"""The one configuration object: environment variables, then the running stack's record.

`tandem up` writes `<data dir>/stack.json` with where each embedded server and service
listens, so commands run from another terminal find the stack without any variable set.
Environment variables always win. The data directory is `TANDEM_DATA_DIR`, else the nearest
`.tandem/` from the working directory upwards (as git finds its repository), else `.tandem`
here: any folder of a project finds the stack started at its root.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

DATA_DIR_NAME = ".tandem"
STACK_FILE = "stack.json"
KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
SECRETS_DIR = "TANDEM_SECRETS_DIR"
"""A folder with one file per secret setting, named as its variable (`KAFKA_SASL_PASSWORD`):
a Kubernetes Secret mounted as a volume. The environment wins over it."""
LOCK_FILE = "up.lock"
"""Held by the running `tandem up` for its whole life (`infra/stack_lock.py`)."""


def find_data_dir(start: Path | None = None) -> Path:
    """The nearest `.tandem/` from `start` (the working directory) upwards, else `.tandem`
    in `start`."""
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / DATA_DIR_NAME).is_dir():
            return folder / DATA_DIR_NAME
    return here / DATA_DIR_NAME


def held(data_dir: Path) -> bool:
    """Whether a `tandem up` holds `data_dir` now."""
    try:
        fd = os.open(data_dir / LOCK_FILE, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # which also drops the shared lock, if taken
    return False


def running_stack(data_dir: Path) -> dict[str, Any] | None:
    """What the `tandem up` running from `data_dir` recorded, or None when none runs there:
    the record a killed `tandem up` left behind is not read."""
    path = data_dir / STACK_FILE
    if not held(data_dir) or not path.exists():
        return None
    record: dict[str, Any] = json.loads(path.read_text())
    return record


class StackFileSource(PydanticBaseSettingsSource):
    """Reads the endpoints `tandem up` recorded for the stack it runs."""

    def __init__(self, settings_cls: type[BaseSettings], data_dir: Path) -> None:
        super().__init__(settings_cls)
        self._values: dict[str, Any] = running_stack(data_dir) or {}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._values.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default_factory=find_data_dir, validation_alias="TANDEM_DATA_DIR")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    kafka_bootstrap: str | None = Field(default=None, validation_alias="KAFKA_BOOTSTRAP")
    # How every Kafka client of the services reaches the brokers; mapped to each client
    # library's own options once, in services/streaming/security.py.
    kafka_security_protocol: KafkaSecurityProtocol = Field(
        default="PLAINTEXT", validation_alias="KAFKA_SECURITY_PROTOCOL"
    )
    kafka_sasl_mechanism: SaslMechanism = Field(
        default="SCRAM-SHA-512", validation_alias="KAFKA_SASL_MECHANISM"
    )
    kafka_sasl_username: str | None = Field(default=None, validation_alias="KAFKA_SASL_USERNAME")
    kafka_sasl_password: SecretStr | None = Field(
        default=None, validation_alias="KAFKA_SASL_PASSWORD"
    )
    kafka_ssl_cafile: Path | None = Field(default=None, validation_alias="KAFKA_SSL_CAFILE")
    """The CA that signed the brokers' certificates; None trusts the system's CAs."""
    kafka_ssl_certfile: Path | None = Field(default=None, validation_alias="KAFKA_SSL_CERTFILE")
    kafka_ssl_keyfile: Path | None = Field(default=None, validation_alias="KAFKA_SSL_KEYFILE")
    kafka_ssl_key_password: SecretStr | None = Field(
        default=None, validation_alias="KAFKA_SSL_KEY_PASSWORD"
    )
    postgres_port: int | None = Field(
        default=None, ge=1, le=65535, validation_alias="TANDEM_POSTGRES_PORT"
    )
    """A loopback TCP port for the embedded PostgreSQL besides its Unix socket (a local Grafana
    needs one); password logins only over it. Recorded in stack.json while the stack runs."""
    gateway_url: str = Field(default="http://127.0.0.1:8080", validation_alias="TANDEM_GATEWAY_URL")
    partner_token: SecretStr | None = Field(default=None, validation_alias="TANDEM_TOKEN")
    grafana_url: str | None = Field(default=None, validation_alias="GRAFANA_URL")
    grafana_token: str | None = Field(default=None, validation_alias="GRAFANA_TOKEN")
    topic_prefix: str = Field(default="", validation_alias="TANDEM_TOPIC_PREFIX")
    topic_partitions: int = Field(default=4, ge=1, validation_alias="TANDEM_TOPIC_PARTITIONS")
    topic_replication: int = Field(default=1, ge=1, validation_alias="TANDEM_TOPIC_REPLICATION")
    """Replicas of each topic Tandem creates: 1 for the embedded broker; a managed Kafka wants
    its own minimum (3 on most)."""
    max_body_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024, validation_alias="TANDEM_MAX_BODY_BYTES"
    )
    max_batch_events: int = Field(default=5000, ge=1, validation_alias="TANDEM_MAX_BATCH_EVENTS")
    read_seconds: float = Field(default=30.0, gt=0, validation_alias="TANDEM_READ_SECONDS")
    max_waiting_events: int = Field(
        default=50_000, ge=1, validation_alias="TANDEM_MAX_WAITING_EVENTS"
    )
    partner_events_per_second: float = Field(
        default=10_000, gt=0, validation_alias="TANDEM_PARTNER_EVENTS_PER_SECOND"
    )
    partner_burst_events: float = Field(
        default=200_000, gt=0, validation_alias="TANDEM_PARTNER_BURST_EVENTS"
    )
    reconcile_bound_seconds: float = Field(
        default=30.0, gt=0, validation_alias="TANDEM_RECONCILE_SECONDS"
    )
    exercise_run: str | None = Field(default=None, validation_alias="TANDEM_EXERCISE_RUN")
    # Webhooks (services/webhooks/): how long a failing delivery is retried before its webhook is
    # parked, how long one POST may take, and whether loopback endpoints over plain http are
    # allowed (tests and local use; never in production, where only public https endpoints are).
    webhook_retry_hours: float = Field(
        default=24.0, gt=0, validation_alias="TANDEM_WEBHOOK_RETRY_HOURS"
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, validation_alias="TANDEM_WEBHOOK_TIMEOUT_SECONDS"
    )
    webhook_allow_loopback: bool = Field(
        default=False, validation_alias="TANDEM_WEBHOOK_ALLOW_LOOPBACK"
    )
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("TANDEM_LOG_LEVEL"))

    @model_validator(mode="after")
    def _kafka_security_is_whole(self) -> Settings:
        """Refuse at start what every client would refuse on its first connection."""
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs"
                " KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError(
                "a client certificate needs its key: set both or neither of"
                " KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        given = {**env_settings(), **init_settings()}
        data_dir = Path(given.get("TANDEM_DATA_DIR") or given.get("data_dir") or find_data_dir())
        secrets = os.environ.get(SECRETS_DIR)
        files = (SecretsSettingsSource(settings_cls, secrets_dir=secrets),) if secrets else ()
        return (init_settings, env_settings, *files, StackFileSource(settings_cls, data_dir))

    def child_env(self) -> dict[str, str]:
        """The environment that gives a child process these settings."""
        env = {
            "TANDEM_DATA_DIR": str(self.data_dir),
            "TANDEM_GATEWAY_URL": self.gateway_url,
            "TANDEM_TOPIC_PREFIX": self.topic_prefix,
            "TANDEM_TOPIC_PARTITIONS": str(self.topic_partitions),
            "TANDEM_TOPIC_REPLICATION": str(self.topic_replication),
            "TANDEM_LOG_LEVEL": self.log_level,
        }
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if self.kafka_bootstrap:
            env["KAFKA_BOOTSTRAP"] = self.kafka_bootstrap
        return env | self.kafka_security_env()

    def kafka_security_env(self) -> dict[str, str]:
        """The Kafka security settings as environment variables, secrets in the clear: only
        for a child process's environment, never for a log."""
        values: dict[str, str | Path | SecretStr | None] = {
            "KAFKA_SECURITY_PROTOCOL": self.kafka_security_protocol,
            "KAFKA_SASL_MECHANISM": self.kafka_sasl_mechanism,
            "KAFKA_SASL_USERNAME": self.kafka_sasl_username,
            "KAFKA_SASL_PASSWORD": self.kafka_sasl_password,
            "KAFKA_SSL_CAFILE": self.kafka_ssl_cafile,
            "KAFKA_SSL_CERTFILE": self.kafka_ssl_certfile,
            "KAFKA_SSL_KEYFILE": self.kafka_ssl_keyfile,
            "KAFKA_SSL_KEY_PASSWORD": self.kafka_ssl_key_password,
        }
        return {
            name: value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            for name, value in values.items()
            if value is not None
        }

    def topic(self, name: str) -> str:
        """A topic's full name under the configured prefix."""
        return f"{self.topic_prefix}{name}"

    def no_stack(self) -> str:
        """That no stack runs from the data directory, how it was looked for, how to start one."""
        data_dir = self.data_dir.absolute()
        if data_dir != find_data_dir():
            return f"no stack runs from {data_dir} (TANDEM_DATA_DIR); start one with `tandem up`"
        if data_dir.is_dir():
            return (
                f"no stack runs from {data_dir} (the nearest {DATA_DIR_NAME}/ from here); start"
                " one with `tandem up`, or set TANDEM_DATA_DIR to another stack's"
            )
        return (
            f"no running stack found from {data_dir.parent} (looked for {DATA_DIR_NAME}/ here"
            " and above; set TANDEM_DATA_DIR or start one with `tandem up`)"
        )

    def require_database_url(self) -> str:
        if not self.database_url:
            raise RuntimeError(f"no database: {self.no_stack()}, or set DATABASE_URL")
        return self.database_url

    def require_kafka_bootstrap(self) -> str:
        if not self.kafka_bootstrap:
            raise RuntimeError(f"no broker: {self.no_stack()}, or set KAFKA_BOOTSTRAP")
        return self.kafka_bootstrap
