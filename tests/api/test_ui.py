"""The dashboard's rules without a browser (SQLite and PostgreSQL): sessions carry the
token's role and jurisdiction, cookies are HttpOnly/SameSite=Strict (Secure behind HTTPS),
forms that write need the API's role and a CSRF token, pages show only what the role may
read, counts match the JSON, and optional sections appear only when the service has them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from api.http.auth import Principal, Scope
from api.http.ui import overview as ov
from api.http.ui.session import COOKIE
from tests.support.api import YEARS, Api, five_star_three_years

ROOT = Path(__file__).resolve().parents[2]


def sign_in(api: Api, token: str, **headers: str) -> Any:
    form = api.client.get("/ui/login", headers=headers)
    nonce = re.search(r'name="nonce" value="([^"]+)"', form.text)
    assert nonce is not None
    return api.client.post(
        "/ui/login",
        data={"token": token, "nonce": nonce.group(1), "next": ""},
        headers=headers,
        follow_redirects=False,
    )


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_session_cookie_carries_the_token_and_its_flags(api: Api) -> None:
    api.register()
    answer = api.client.get("/ui/overview", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/login")
    signed = sign_in(api, api.token("auditor"))
    assert signed.status_code == 303 and signed.headers["location"] == "/ui/overview"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    assert "Secure" not in cookie  # plain HTTP: a Secure cookie would never come back
    page = api.client.get("/ui/overview")
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text

    behind_proxy = sign_in(api, api.token("auditor"), **{"X-Forwarded-Proto": "https"})
    assert "Secure" in behind_proxy.headers["set-cookie"]

    refused = sign_in(api, "not-a-token")
    assert refused.status_code == 401 and "令牌无效" in refused.text
    stale_form = api.client.post(
        "/ui/login", data={"token": api.admin, "nonce": "forged"}, follow_redirects=False
    )
    assert stale_form.status_code == 401 and f"{COOKIE}=" not in stale_form.headers.get(
        "set-cookie", ""
    )


def test_tampered_or_revoked_sessions_end(api: Api) -> None:
    api.register()
    token = api.token("auditor", name="leaving")
    sign_in(api, token)
    value = api.client.cookies.get(COOKIE)
    assert value
    api.client.cookies.set(COOKIE, value[:-2] + "xx", path="/ui")
    assert api.client.get("/ui/overview", follow_redirects=False).status_code == 303
    api.client.cookies.set(COOKIE, value, path="/ui")
    assert api.client.get("/ui/overview").status_code == 200
    api.app.state.tokens.revoke("leaving")
    assert api.client.get("/ui/overview", follow_redirects=False).status_code == 303


def test_sign_out_needs_the_csrf_token(api: Api) -> None:
    api.register()
    sign_in(api, api.token("auditor"))
    page = api.client.get("/ui/overview").text
    forged = api.client.post("/ui/logout", data={"csrf": "nope"}, follow_redirects=False)
    assert forged.status_code == 403
    assert api.client.get("/ui/overview").status_code == 200  # still signed in
    out = api.client.post("/ui/logout", data={"csrf": csrf(page)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/ui/login"
    assert api.client.get("/ui/overview", follow_redirects=False).status_code == 303


def test_pages_show_only_what_the_role_may_read(api: Api) -> None:
    api.register()
    five_star_three_years(api)
    sign_in(api, api.token("county", county="南乐县"))
    overview = api.client.get("/ui/overview", params={"year": YEARS[-1]}).text
    assert "南乐县" in overview and "清丰县" not in overview
    listed = api.client.get("/ui/list", params={"year": YEARS[-1], "county": "清丰县"}).text
    assert "/ui/branches/V1" not in listed  # asking for another county shows nothing
    refused = api.client.get("/ui/branches/V1")
    assert refused.status_code == 404 and "未找到" in refused.text  # as an unknown code
    assert api.client.get("/ui/branches/V4").status_code == 200
    assert api.client.get("/ui/recompute").status_code == 403  # the API's recompute right

    api.client.cookies.clear()
    sign_in(api, api.token("service"))
    assert api.client.get("/ui/branches/V1").status_code == 200
    assert api.client.get("/ui/branches/V1/history").status_code == 403  # no audit trails
    assert "/history#rec-" not in api.client.get("/ui/branches/V1").text


def test_overview_counts_match_the_json(api: Api) -> None:
    api.register()
    five_star_three_years(api)
    sign_in(api, api.token("auditor"))
    year = YEARS[-1]
    results = api.get("/eligibility", api.admin, year=year).json()
    five = [e["branch"] for e in results if len(e["eligible"]) == 5]
    page = api.client.get("/ui/overview", params={"year": year}).text
    assert "<svg" in page and "可评5星" in page
    fives = api.client.get("/ui/list", params={"year": year, "eligible": 5}).text
    assert re.findall(r'href="/ui/branches/([^?"]+)\?', fives) == five == ["V1"]
    awarded = api.client.get("/ui/list", params={"year": year, "awarded": 5, "priority": 1})
    assert re.findall(r'href="/ui/branches/([^?"]+)\?', awarded.text) == ["V1"]
    sheet = api.client.get("/ui/list", params={"year": year, "format": "csv"}).content
    lines = sheet.decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [e["branch"] for e in results]
    branch = api.client.get("/ui/branches/V1", params={"year": year}).text
    assert "支部过硬星" in branch and "✓" in branch
    assert api.client.get("/ui/overview", params={"year": "soon"}).status_code == 400


def test_adoption_from_the_dashboard(api: Api) -> None:
    api.register()
    five_star_three_years(api)
    sign_in(api, api.token("auditor"))
    preview = api.client.get(
        "/ui/recompute", params={"year": 2024, "rulebook": "puyang-2024-revision"}
    )
    assert preview.status_code == 200 and "结果" in preview.text
    assert 'action="/ui/recompute/adopt"' not in preview.text  # auditors preview only
    form = {"year": "2024", "rulebook": "puyang-2024-revision", "reason": "r"}
    denied = api.client.post("/ui/recompute/adopt", data={**form, "csrf": csrf(preview.text)})
    assert denied.status_code == 403

    api.client.cookies.clear()
    sign_in(api, api.admin)
    page = api.client.get(
        "/ui/recompute", params={"year": 2024, "rulebook": "puyang-2024-revision"}
    )
    token = csrf(page.text)
    assert api.client.post("/ui/recompute/adopt", data=form).status_code == 403  # no CSRF
    empty = api.client.post("/ui/recompute/adopt", data={**form, "reason": " ", "csrf": token})
    assert empty.status_code == 422 and "理由" in empty.text
    bad = api.client.post("/ui/recompute/adopt", data={**form, "rulebook": "nope", "csrf": token})
    assert bad.status_code == 422
    assert api.get("/rulebooks", api.admin).json()["adoptions"] == []
    done = api.client.post(
        "/ui/recompute/adopt", data={**form, "csrf": token}, follow_redirects=False
    )
    assert done.status_code == 303 and "adopted=1" in done.headers["location"]
    head = api.get("/health", api.admin).json()["head"]
    adoptions = api.get("/rulebooks", api.admin, min_position=head).json()["adoptions"]
    assert [(a["year"], a["rulebook"], a["reason"]) for a in adoptions] == [
        (2024, "puyang-2024-revision", "r")
    ]


def test_optional_sections_appear_only_when_offered(api: Api) -> None:
    api.register()
    five_star_three_years(api)
    sign_in(api, api.token("auditor"))
    plain = api.client.get("/ui/branches/V1").text
    # the compliance, cases and ladder read models exist: their sections are shown
    assert "合规检查 compliance" in plain and "案件 cases" in plain and "晋级阶梯" in plain

    def compliance(code: str, year: int) -> list[dict[str, Any]]:
        return [{"branch": code, "year": year, "rule": "三会一课", "status": "超期"}]

    def cases(code: str, year: int) -> list[dict[str, Any]]:
        raise RuntimeError("cases read model not built")

    setattr(api.svc, "branch_compliance", compliance)  # noqa: B010 (replaces a method)
    setattr(api.svc, "branch_cases", cases)  # noqa: B010
    try:
        page = api.client.get("/ui/branches/V1")
    finally:
        delattr(api.svc, "branch_compliance")
        delattr(api.svc, "branch_cases")
    assert page.status_code == 200
    assert "合规检查 compliance" in page.text and "超期" in page.text
    assert "案件 cases" in page.text and "暂不可用" in page.text
    assert "晋级阶梯" in page.text


def test_overview_rows_agree_with_the_queries(api: Api, tmp_path: Path) -> None:
    """The overview reads light columns for speed; it must say what queries.eligibility,
    queries.awards (stale) and queries.priority say, on a generated ledger with a rulebook
    adopted afterwards (which makes some awards stale)."""
    ledger = tmp_path / "ledger.jsonl"
    with ledger.open("wb") as out:
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "generate_ledger.py"),
             "--branches", "40", "--seed", "7"],
            stdout=out, check=True,
        )  # fmt: skip
    api.svc.import_file(ledger, "test")
    api.svc.ledger.adopt(2025, "puyang-2024-revision", "stricter", "test")
    api.svc.catch_up()
    everyone = Principal("t", "auditor", Scope())
    stale = 0
    for year in (2024, 2025, 2026):
        rows = ov.branch_rows(api.svc, everyone, year)
        assert [(r["branch"], r["eligible"], r["excluded"]) for r in rows] == [
            (e.branch, e.eligible, e.excluded) for e in api.svc.eligibility(year)
        ]
        awards = {a["branch"]: (a["level"], a["stale"]) for a in api.svc.awards(year)}
        assert {
            r["branch"]: (r["awarded_level"], r["stale"])
            for r in rows
            if r["awarded_level"] is not None
        } == awards
        tiers = {p["branch"]: p["tier"] for p in api.svc.priority(year)}
        assert {r["branch"]: r["priority"] for r in rows if r["priority"]} == tiers
        stale += sum(r["stale"] for r in rows)
    assert stale > 0  # the comparison covered stale awards


def test_the_branch_list_follows_each_write_and_repeats_from_the_position_cache(api: Api) -> None:
    # given the registered branches and an auditor signed in
    from api.http.answers import answers
    from tests.support.builders import village

    api.register()
    sign_in(api, api.token("auditor"))
    first = api.client.get("/ui/list", params={"year": 2026}).text
    cache = answers(api.svc)
    misses = cache.misses
    # when the same list is asked again at the same position, then it is answered from the cache
    assert api.client.get("/ui/list", params={"year": 2026}).text == first
    assert cache.misses == misses
    # and when a branch is registered, the next list has it (the position moved)
    assert "V99" not in first
    api.write([village("V99", "清丰县", "柳格镇")])
    assert "V99" in api.client.get("/ui/list", params={"year": 2026}).text
