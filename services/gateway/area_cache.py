"""The loaded areas, held by the gateway and read again only when a new version is loaded.

A county's boundaries are megabytes that change when someone runs `tandem areas load`; the
version that says whether they changed is one row. Every map request reads that row and, only
when the version moved, the areas themselves (once, whoever asks first). A load between the two
reads leaves the newer areas under the older number, so the next request reads them again: the
cache is never behind the database for longer than one request.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool

from services.figures.area_map import AREAS_VERSION
from services.maps.places import LoadedAreas, loaded_areas, reference_geojson
from services.settings import Settings
from services.store.connections import connect


@dataclass(frozen=True)
class CachedAreas:
    loaded: LoadedAreas
    reference: bytes
    """The public `GET /v1/areas.geojson` body, written once per version."""


class AreaCache:
    def __init__(self, pool: AsyncConnectionPool, settings: Settings) -> None:
        self._pool = pool
        self._settings = settings
        self._cached: CachedAreas | None = None
        self._reading = asyncio.Lock()

    async def version(self) -> int | None:
        """The latest area version, None while no area has been loaded."""
        async with self._pool.connection() as conn:
            row = await (await conn.execute(AREAS_VERSION)).fetchone()
        return None if row is None else row[0]

    async def current(self) -> CachedAreas | None:
        """The latest loaded areas, None while there are none."""
        version = await self.version()
        if version is None:
            return None
        async with self._reading:
            if self._cached is None or self._cached.loaded.version != version:
                loaded = await asyncio.to_thread(self._read)
                self._cached = (
                    None if loaded is None else CachedAreas(loaded, reference_geojson(loaded))
                )
        return self._cached

    def _read(self) -> LoadedAreas | None:
        with connect(self._settings) as conn:
            return loaded_areas(conn)
