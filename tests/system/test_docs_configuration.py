"""The README's Configuration table names every variable the settings object reads, and only
those."""

from __future__ import annotations

import re

from pydantic import AliasChoices

from services.settings import SECRETS_DIR, Settings
from tests.support.markdown import sections, table_rows
from tests.support.paths import ROOT


def test_the_configuration_table_is_the_settings_object() -> None:
    table = table_rows(sections((ROOT / "README.md").read_text(), 2)["Configuration"])
    listed = {name for row in table for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row[0])}
    read = {SECRETS_DIR}
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        read |= set(map(str, alias.choices)) if isinstance(alias, AliasChoices) else {str(alias)}
    assert listed == read
