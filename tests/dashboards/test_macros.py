"""The Grafana macro expander used to run panel SQL in tests and previews: the same output as
Grafana's PostgreSQL macro engine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dashboards.macros import MacroError, expand, interpolate, rfc3339, variables_used

FROM = datetime(2020, 3, 16, 7, 0, tzinfo=UTC)
TO = datetime(2020, 4, 1, 12, 30, 15, 250000, tzinfo=UTC)


def test_time_macros_are_rfc3339_in_utc() -> None:
    assert expand("$__timeFrom()", FROM, TO, {}) == "'2020-03-16T07:00:00Z'"
    assert expand("$__timeTo()", FROM, TO, {}) == "'2020-04-01T12:30:15.25Z'"
    assert (
        expand("WHERE $__timeFilter(hour)", FROM, TO, {})
        == "WHERE hour BETWEEN '2020-03-16T07:00:00Z' AND '2020-04-01T12:30:15.25Z'"
    )
    assert rfc3339(datetime(2020, 1, 1, tzinfo=UTC)) == "2020-01-01T00:00:00Z"


def test_time_groups_are_epoch_buckets_and_the_alias_names_them_time() -> None:
    assert (
        expand("$__timeGroup(hour, 1h)", FROM, TO, {})
        == "floor(extract(epoch from hour)/3600)*3600"
    )
    assert (
        expand("$__timeGroupAlias(hours.at, 1d, 0)", FROM, TO, {})
        == 'floor(extract(epoch from hours.at)/86400)*86400 AS "time"'
    )
    assert expand("$__time(t)", FROM, TO, {}) == 't AS "time"'
    assert expand("$__unixEpochFilter(ts)", FROM, TO, {}) == (
        f"ts >= {int(FROM.timestamp())} AND ts <= {int(TO.timestamp())}"
    )


def test_variables_are_replaced_first_and_sqlstring_quotes() -> None:
    sql = "run = ${run:sqlstring} AND incident = '$incident' AND [[run]] = ${run}"
    assert interpolate(sql, {"run": "o'brien", "incident": "flood"}) == (
        "run = 'o''brien' AND incident = 'flood' AND o'brien = o'brien"
    )
    assert variables_used(sql + " $__timeTo()") == {"run", "incident"}


def test_unknown_macros_and_missing_variables_are_errors() -> None:
    with pytest.raises(MacroError):
        expand("$__timeShift(x)", FROM, TO, {})
    with pytest.raises(MacroError):
        expand("$missing", FROM, TO, {})
    with pytest.raises(MacroError):
        expand("$__timeGroup(x)", FROM, TO, {})
