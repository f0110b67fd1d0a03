"""`Partner`: the route dependency naming the partner whose bearer token the request carries."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.gateway.auth import Authenticator


async def partner(request: Request) -> str:
    auth: Authenticator = request.app.state.auth
    return await auth(request)


Partner = Annotated[str, Depends(partner)]
