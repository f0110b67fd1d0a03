"""The topics as written down (partitions, replicas, retention), as the README lists them, and
`tandem topics create` as a step of its own."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import orjson
import psycopg
from kafka import KafkaAdminClient

from services.settings import Settings
from services.store.partners import Partner, add_partner
from services.streaming.security import client_options
from services.streaming.topics import TOPICS, new_topic, spec_of
from tests.support.markdown import sections, table_rows
from tests.support.paths import ROOT
from tests.support.servers import run_tandem


def test_each_topic_is_created_with_its_partitions_replicas_and_retention() -> None:
    settings = Settings(
        TANDEM_TOPIC_PREFIX="t.", TANDEM_TOPIC_PARTITIONS=12, TANDEM_TOPIC_REPLICATION=3
    )
    for name, days in [
        ("events.inbound", 7),
        ("events.accepted", 7),
        ("events.rejected", 7),
        ("partner.kingston-foodbank.inbox", 7),
        ("exercise.drill-1.events", 7),
    ]:
        topic = new_topic(settings, name)
        assert (topic.name, topic.num_partitions, topic.replication_factor) == (f"t.{name}", 12, 3)
        assert topic.topic_configs == {"retention.ms": str(days * 24 * 3600 * 1000)}
    assert spec_of("partner.a.b.inbox").name == "partner.{partner}.inbox"
    assert not any(spec.matches("events.accepted.extra") for spec in TOPICS)


def test_the_readme_lists_every_topic_as_created() -> None:
    readme = (ROOT / "README.md").read_text()
    listed = table_rows(sections(readme, 3)["Topics"])
    assert listed == [
        [
            f"`{spec.name}`",
            "`TANDEM_TOPIC_PARTITIONS`",
            f"{spec.retention // timedelta(days=1)} days",
            spec.written_by,
            spec.read_by,
            spec.why,
        ]
        for spec in TOPICS
    ]


def test_topics_create_makes_the_core_topics_and_every_partners_inbox(
    settings: Settings, tmp_path: Path
) -> None:
    with psycopg.connect(settings.database_url) as conn:
        add_partner(conn, Partner("kingston-foodbank", "Foodbank"))
    env = {
        "TANDEM_DATA_DIR": str(tmp_path),
        "DATABASE_URL": str(settings.database_url),
        "KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
        "TANDEM_TOPIC_PREFIX": settings.topic_prefix,
        "TANDEM_TOPIC_PARTITIONS": "3",  # not tansu's own 4: the count is ours
    }
    first = run_tandem(env, "topics", "create", "--run", "drill-1")
    assert first.returncode == 0, first.stderr
    wanted = [
        settings.topic(name)
        for name in (
            "events.inbound",
            "events.accepted",
            "events.rejected",
            "exercise.drill-1.events",
            "partner.kingston-foodbank.inbox",
        )
    ]
    lines = first.stdout.splitlines()
    assert lines[0].split() == ["topic", "partitions", "replicas", "retention"]
    assert [line.split() for line in lines[1:]] == [
        [name, "3", "1", "7", "days", "created"] for name in wanted
    ]
    admin = KafkaAdminClient(**client_options(settings))
    try:
        described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(wanted)}
    finally:
        admin.close()
    assert described == dict.fromkeys(wanted, 3)

    again = run_tandem(env, "topics", "create", "--run", "drill-1")
    assert again.returncode == 0, again.stderr
    assert [line.split()[-1] for line in again.stdout.splitlines()[1:]] == ["present"] * 5
    # Asked for another partition count later, it changes nothing, and says so.
    other = run_tandem({**env, "TANDEM_TOPIC_PARTITIONS": "5"}, "topics", "create")
    assert other.returncode == 0, other.stderr
    warned = [orjson.loads(line) for line in other.stderr.splitlines()]
    assert {(w["msg"], w["topic"], w["partitions"], w["configured"]) for w in warned} == {
        ("topic has another partition count than configured", name, 3, 5)
        for name in wanted
        if "exercise" not in name
    }


def test_topics_create_without_a_broker_says_so(tmp_path: Path) -> None:
    failed = run_tandem(
        {"TANDEM_DATA_DIR": str(tmp_path), "DATABASE_URL": "", "KAFKA_BOOTSTRAP": ""},
        "topics",
        "create",
    )
    assert failed.returncode == 1
    assert failed.stderr.startswith("tandem: broker: no broker:")
