"""Bearer-token authentication for partners, with verified tokens remembered until revoked
(`services/store/verified_tokens.py`) and repeated failures per token id throttled
(`services/store/token_failures.py`)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from psycopg_pool import AsyncConnectionPool

from services.gateway.refusals import Refused
from services.store.partners import TOKEN_LOOKUP_SQL, bearer_token, split_token, verified_partner
from services.store.token_failures import TokenFailures
from services.store.verified_tokens import VerifiedTokens, token_digest


class Authenticator:
    def __init__(self, pool: AsyncConnectionPool, verified: VerifiedTokens) -> None:
        self.pool = pool
        self._verified = verified
        self._failures = TokenFailures()
        self._verifying: dict[bytes, asyncio.Task[str | None]] = {}

    async def partner_for(self, token: str) -> str | None:
        cached = self._verified.partner(token)
        if cached is not None:
            return cached
        parts = split_token(token)
        if parts is None:
            return None
        # Concurrent first requests with one token share one slow verification.
        digest = token_digest(token)
        task = self._verifying.get(digest)
        if task is None:
            if wait := self._failures.attempt(parts[0]):
                raise Refused(
                    429, "too many failed attempts with this token; retry later", retry=wait
                )
            task = asyncio.create_task(self._verify(*parts, token))
            self._verifying[digest] = task
            task.add_done_callback(lambda _: self._verifying.pop(digest, None))
        return await asyncio.shield(task)

    async def _verify(self, token_id: str, secret: str, token: str) -> str | None:
        generation = self._verified.generation
        async with self.pool.connection() as conn:
            row = await (await conn.execute(TOKEN_LOOKUP_SQL, (token_id,))).fetchone()
        partner = await asyncio.to_thread(verified_partner, row, secret)
        if partner is not None:
            self._failures.succeeded(token_id)
            self._verified.remember(token, partner, generation)
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


async def partner(request: Request) -> str:
    auth: Authenticator = request.app.state.auth
    return await auth(request)


CallingPartner = Annotated[str, Depends(partner)]
"""The route dependency naming the partner whose bearer token the request carries."""
