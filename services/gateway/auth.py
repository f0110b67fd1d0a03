"""Bearer-token authentication for partners.

Verifying a token costs a slow scrypt hash, so a verified token is remembered (by its SHA-256,
never in clear) for a short while; a revoked token stops working within that time.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

from fastapi import HTTPException, Request
from psycopg_pool import AsyncConnectionPool

from services.partners import TOKEN_LOOKUP_SQL, split_token, verify_secret

CACHE_SECONDS = 10.0


class Authenticator:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool
        self._verified: dict[bytes, tuple[str, float]] = {}
        self._verifying: dict[bytes, asyncio.Task[str | None]] = {}

    async def partner_for(self, token: str) -> str | None:
        digest = hashlib.sha256(token.encode()).digest()
        cached = self._verified.get(digest)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        # Concurrent first requests with one token share one slow verification.
        task = self._verifying.get(digest)
        if task is None:
            task = asyncio.create_task(self._verify(token, digest))
            self._verifying[digest] = task
            task.add_done_callback(lambda _: self._verifying.pop(digest, None))
        return await asyncio.shield(task)

    async def _verify(self, token: str, digest: bytes) -> str | None:
        parts = split_token(token)
        if parts is None:
            return None
        token_id, secret = parts
        async with self.pool.connection() as conn:
            row = await (await conn.execute(TOKEN_LOOKUP_SQL, (token_id,))).fetchone()
        if row is None:
            return None
        partner, salt, stored = row
        if not await asyncio.to_thread(verify_secret, secret, bytes(salt), bytes(stored)):
            return None
        self._verified[digest] = (str(partner), time.monotonic() + CACHE_SECONDS)
        return str(partner)

    async def __call__(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        partner = await self.partner_for(token.strip()) if scheme.lower() == "bearer" else None
        if partner is None:
            raise HTTPException(
                status_code=401,
                detail="a valid partner token is required: Authorization: Bearer <token>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return partner
