"""Rulebooks: which there are and which is in force for which year; recomputation."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from api.http.auth import PERMISSION, Principal, guard
from api.http.controllers.common import problem, problems, read_get, strict_body
from api.http.schemas import (
    Adopted,
    Adoption,
    RecomputeReport,
    RecomputeRequest,
    Rulebook,
    Rulebooks,
)
from domain.application.service import FiveStar
from domain.model.rulebook import RulebookError, available_rulebooks, load_rulebook


class RulebooksController(Controller):
    tags = ["rulebooks"]  # noqa: RUF012
    guards = [guard]  # noqa: RUF012

    @read_get(
        "/rulebooks",
        summary="Rulebooks available, and the adoptions recorded in the ledger",
    )
    def rulebooks(
        self, svc: NamedDependency[FiveStar], read_at: NamedDependency[int | None]
    ) -> Rulebooks:
        books = []
        for book_id in available_rulebooks():
            try:
                book = load_rulebook(book_id)
            except RulebookError:
                continue  # a broken file is reported by the CLI, not served
            books.append(Rulebook(id=book.id, title=book.title, applies_from=book.applies_from))
        adoptions = [
            Adoption(**{name: row[name] for name in Adoption.__struct_fields__})
            for row in svc.adoptions()
        ]
        return Rulebooks(rulebooks=books, adoptions=adoptions)

    @post(
        "/recompute",
        sync_to_thread=True,
        status_code=200,
        opt={PERMISSION: "recompute"},
        before_request=strict_body(RecomputeRequest),
        summary="What changes for a year under another rulebook; optionally adopt it",
        description=(
            "A dry run changes nothing. With `adopt: true` (province-wide admin tokens only) and a "
            "`reason`, "
            "the ledger records that the rulebook is in force for the year from now on; "
            "`adopted.position` is a ledger position to wait for with `min_position`."
        ),
        responses=problems(400, 401, 403, 422, 503),
    )
    def recompute(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RecomputeRequest],
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
    ) -> RecomputeReport:
        refusal = principal.refuse_adopt() if data.adopt else None
        if refusal:
            raise problem(403, refusal)
        if data.adopt and not data.reason.strip():
            raise problem(422, "an adoption needs a reason (who adopts is recorded, and why)")
        try:
            load_rulebook(data.rulebook)
            report: dict[str, Any] = svc.recompute(data.year, data.rulebook)
            adopted = None
            if data.adopt:
                event, position = svc.adopt(
                    data.year, data.rulebook, data.reason, principal.recorder
                )
                adopted = Adopted(
                    recorded_at=event.timestamp,
                    recorder=event.recorder,
                    reason=event.reason,
                    position=position,
                )
                projector = request.app.state.projector
                if projector is not None:
                    projector.wake()
        except RulebookError as exc:
            raise problem(422, f"rulebook: {exc}") from None
        out = msgspec.convert({**report, "adopted": None}, RecomputeReport)
        out.adopted = adopted
        return out
