"""Token administration over HTTP (admin tokens): the same store as ``fivestar token``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.params import JSONBody, PathParameter

from api.http.auth import PERMISSION, guard, hash_token, new_token
from api.http.controllers.common import problem, problems
from api.http.schemas import IssuedToken, TokenInfo, TokenRequest
from domain.application.tokens import StoredToken, TokenError, TokenStore

TokenName = Annotated[str, PathParameter(pattern=r"^[A-Za-z0-9._@-]{1,64}$")]


def _info(token: StoredToken) -> TokenInfo:
    return TokenInfo(
        name=token.name,
        role=token.role,
        county=token.county,
        township=token.township,
        branch=token.branch,
        issued_at=token.issued_at,
        revoked_at=token.revoked_at,
    )


def default_name(role: str) -> str:
    """``role-xxxxxxxx``: the same default as ``fivestar token issue``."""
    return f"{role}-{new_token()[:8].replace('_', 'x').replace('-', 'x')}"


class TokensController(Controller):
    path = "/tokens"
    tags = ["tokens"]  # noqa: RUF012
    guards = [guard]  # noqa: RUF012
    opt = {PERMISSION: "admin"}  # noqa: RUF012

    @get(
        sync_to_thread=True,
        summary="Tokens: names, roles, scopes (never the tokens)",
        responses=problems(401, 403, 503),
    )
    def list_tokens(self, request: Request[Any, Any, Any]) -> list[TokenInfo]:
        store: TokenStore = request.app.state.tokens
        return [_info(t) for t in store.list()]

    @post(
        sync_to_thread=True,
        status_code=201,
        summary="Issue a token (shown once)",
        responses=problems(400, 401, 403, 409, 503),
    )
    def issue(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TokenRequest],
    ) -> IssuedToken:
        store: TokenStore = request.app.state.tokens
        token = new_token()
        name = data.name or default_name(data.role)
        try:
            stored = store.issue(
                name, hash_token(token), data.role, data.county, data.township, data.branch
            )
        except TokenError as exc:
            raise problem(409, str(exc)) from None
        return IssuedToken(
            name=stored.name,
            role=stored.role,
            county=stored.county,
            township=stored.township,
            branch=stored.branch,
            token=token,
        )

    @delete(
        "/{name:str}",
        sync_to_thread=True,
        status_code=200,
        summary="Revoke a token",
        responses=problems(400, 401, 403, 404, 503),
    )
    def revoke(self, request: Request[Any, Any, Any], name: TokenName) -> TokenInfo:
        store: TokenStore = request.app.state.tokens
        try:
            return _info(store.revoke(name))
        except TokenError as exc:
            raise problem(404, str(exc)) from None
