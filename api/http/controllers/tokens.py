"""Token administration over HTTP (admin tokens): the same store as ``fivestar token``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, route
from litestar.di import NamedDependency
from litestar.enums import HttpMethod
from litestar.params import JSONBody, PathParameter

from api.http.auth import PERMISSION, Principal, Scope, guard, hash_token, new_token
from api.http.controllers.common import problem, problems, strict_body
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


def _no_such_token(name: str, principal: Principal) -> Exception:
    """The answer for a name that is unknown or outside the caller's scope alike, so that
    a scoped admin cannot learn which names exist elsewhere (ADR 0013)."""
    return problem(
        404,
        f"no token named {name!r} within the scope of token {principal.name} "
        f"({principal.scope.describe()})",
    )


class TokensController(Controller):
    path = "/tokens"
    tags = ["tokens"]  # noqa: RUF012
    guards = [guard]  # noqa: RUF012
    opt = {PERMISSION: "admin"}  # noqa: RUF012

    @route(http_method=[HttpMethod.OPTIONS], include_in_schema=False, sync_to_thread=False)
    def allowed(self) -> Response[None]:
        """Litestar's own OPTIONS answer for a path served by two handlers names only the
        first one registered (``Allow: OPTIONS, POST``); this one names both."""
        return Response(None, status_code=204, headers={"Allow": "GET, OPTIONS, POST"})

    @get(
        sync_to_thread=True,
        summary="Tokens within the caller's scope: names, roles, scopes (never the tokens)",
        responses=problems(401, 403, 503),
    )
    def list_tokens(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> list[TokenInfo]:
        store: TokenStore = request.app.state.tokens
        return [_info(t) for t in store.list() if principal.manages(t)]

    @post(
        sync_to_thread=True,
        status_code=201,
        before_request=strict_body(TokenRequest),
        summary="Issue a token (shown once)",
        description=(
            "Within the caller's own scope and of its rank or below: a token limited to a "
            "county issues tokens that name that county (ADR 0013), and no reviewer deciding "
            "above that scope (city or province; county from a township; ADR 0038)."
        ),
        responses=problems(400, 401, 403, 409, 503),
    )
    def issue(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TokenRequest],
        principal: NamedDependency[Principal],
    ) -> IssuedToken:
        refusal = principal.refuse_issue(data.role, Scope(data.county, data.township, data.branch))
        if refusal:
            raise problem(403, refusal)
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
        summary="Revoke a token within the caller's scope",
        responses=problems(400, 401, 403, 404, 503),
    )
    def revoke(
        self,
        request: Request[Any, Any, Any],
        name: TokenName,
        principal: NamedDependency[Principal],
    ) -> TokenInfo:
        store: TokenStore = request.app.state.tokens
        target = store.get(name)
        if target is None or not principal.manages(target):
            raise _no_such_token(name, principal)
        try:
            return _info(store.revoke(name))
        except TokenError:
            raise _no_such_token(name, principal) from None
