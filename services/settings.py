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
from typing import Any

from pydantic import AliasChoices, Field, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DATA_DIR_NAME = ".tandem"
STACK_FILE = "stack.json"
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
        return (init_settings, env_settings, StackFileSource(settings_cls, data_dir))

    def child_env(self) -> dict[str, str]:
        """The environment that gives a child process these settings."""
        env = {
            "TANDEM_DATA_DIR": str(self.data_dir),
            "TANDEM_GATEWAY_URL": self.gateway_url,
            "TANDEM_TOPIC_PREFIX": self.topic_prefix,
            "TANDEM_TOPIC_PARTITIONS": str(self.topic_partitions),
            "TANDEM_LOG_LEVEL": self.log_level,
        }
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if self.kafka_bootstrap:
            env["KAFKA_BOOTSTRAP"] = self.kafka_bootstrap
        return env

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
