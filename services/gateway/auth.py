"""Bearer-token authentication for partners, with recently verified tokens remembered."""

from __future__ import annotations

import asyncio

from fastapi import HTTPException, Request
from psycopg_pool import AsyncConnectionPool

from services.partners import TOKEN_LOOKUP_SQL, bearer_token, split_token, verified_partner
from services.verified_tokens import VerifiedTokens, token_digest


class Authenticator:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool
        self._verified = VerifiedTokens()
        self._verifying: dict[bytes, asyncio.Task[str | None]] = {}

    async def partner_for(self, token: str) -> str | None:
        cached = self._verified.partner(token)
        if cached is not None:
            return cached
        # Concurrent first requests with one token share one slow verification.
        digest = token_digest(token)
        task = self._verifying.get(digest)
        if task is None:
            task = asyncio.create_task(self._verify(token))
            self._verifying[digest] = task
            task.add_done_callback(lambda _: self._verifying.pop(digest, None))
        return await asyncio.shield(task)

    async def _verify(self, token: str) -> str | None:
        parts = split_token(token)
        if parts is None:
            return None
        token_id, secret = parts
        async with self.pool.connection() as conn:
            row = await (await conn.execute(TOKEN_LOOKUP_SQL, (token_id,))).fetchone()
        partner = await asyncio.to_thread(verified_partner, row, secret)
        if partner is not None:
            self._verified.remember(token, partner)
        return partner

    async def __call__(self, request: Request) -> str:
        token = bearer_token(request.headers.get("authorization", ""))
        partner = await self.partner_for(token) if token else None
        if partner is None:
            raise HTTPException(
                status_code=401,
                detail="a valid partner token is required: Authorization: Bearer <token>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return partner
