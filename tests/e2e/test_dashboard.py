"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against
``fivestar serve`` over a small demo store (SQLite and PostgreSQL).

A reader signs in with an API token, goes overview → county → township → branch → an
evidence link → that record in the history, filters the timeline, previews and adopts a
rulebook, downloads an export (opened with openpyxl and compared with the JSON endpoint),
signs out, and a county token is refused a branch of another county and the recompute page.
Each page passes a basic accessibility check and is photographed under ``screenshots/``.

Without /usr/bin/chromium (or the playwright package) the tests skip, saying why; under
``CI=true`` they fail instead (``.ci/run`` installs Chromium and a CJK font).
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import httpx
import psycopg
import pytest

from tests.support.server import Server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "screenshots"
BROWSER_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BRANCHES = 30


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install -y chromium fonts-wqy-zenhei)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


_MISSING = _browser_missing()
if _MISSING and os.environ.get("CI") == "true":
    pytest.fail(f"CI=true but the browser tests cannot run: {_MISSING}", pytrace=False)
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")


# ------------------------------------------------------------------ the server
def fivestar(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli.main", "--db", db, *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), f"fivestar {args}: {done.stderr}"
    return done


def issue(db: str, role: str, name: str, *scope: str) -> str:
    done = fivestar(db, "token", "issue", "--role", role, "--name", name, *scope)
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: str | None,
) -> Iterator[str]:
    """One store per backend for the module's tests (a demo import and a server each)."""
    if request.param == "sqlite":
        yield str(tmp_path_factory.mktemp("dashboard") / "fivestar.db")
        return
    if postgres_server is None:
        pytest.skip("no PostgreSQL (set FIVESTAR_TEST_PG, or run `make test`)")
    name = f"fs_ui_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(urlparse(postgres_server)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def demo(store: str) -> Iterator[dict[str, Any]]:
    """A demo store, tokens of two roles, and ``fivestar serve`` over it."""
    db = store
    fivestar(db, "demo", "--branches", str(BRANCHES))
    counties = sorted({b["county"] for b in _registry(db)})
    tokens = {
        "admin": issue(db, "admin", "ui-admin"),
        "county": issue(db, "county", "ui-county", "--county", counties[0]),
    }
    server = Server(db)
    try:
        server.wait_ready()
        yield {"url": server.url, "tokens": tokens, "counties": counties, "db": db}
    finally:
        server.stop()


def _registry(db: str) -> list[dict[str, Any]]:
    from domain.application.service import FiveStar

    with FiveStar(db) as svc:
        rows, _ = svc.list_branches(limit=10_000)
    return rows


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            yield b
        finally:
            b.close()


# --------------------------------------------------------------- page checks
A11Y = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const byFor = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
    if (!byFor && !el.closest('label') && !el.getAttribute('aria-label')
        && !el.getAttribute('aria-labelledby'))
      problems.push('unlabelled ' + el.outerHTML.slice(0, 80));
  }
  for (const b of document.querySelectorAll('button'))
    if (!b.textContent.trim() && !b.getAttribute('aria-label'))
      problems.push('button without text');
  const levels = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1]);
  if (levels.filter(l => l === 1).length !== 1) problems.push('not exactly one h1: ' + levels);
  if (levels[0] !== 1) problems.push('first heading is not h1: ' + levels);
  for (let i = 1; i < levels.length; i++)
    if (levels[i] > levels[i - 1] + 1) problems.push(`heading h${levels[i - 1]} -> h${levels[i]}`);
  for (const t of document.querySelectorAll('table')) {
    if (!t.querySelector('thead th')) problems.push('table without header cells');
  }
  for (const s of document.querySelectorAll('svg'))
    if (s.getAttribute('role') !== 'img' || !s.querySelector('title'))
      problems.push('svg without role/title');
  const lang = document.documentElement.lang;
  if (lang !== 'zh-CN') problems.push('lang is ' + lang);
  if (!document.title.trim()) problems.push('no title');
  return problems;
}"""


def check_page(page: Any, name: str) -> None:
    """Accessibility basics, then a full-page screenshot for reviewers."""
    problems = page.evaluate(A11Y)
    assert problems == [], f"{name} ({page.url}): {problems}"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def api(demo: dict[str, Any], path: str, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {demo['tokens']['admin']}"}
    answer = httpx.get(f"{demo['url']}{path}", params=params, headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer


def sign_in(page: Any, url: str, token: str) -> None:
    page.goto(f"{url}/ui/overview")
    assert "/ui/login" in page.url  # no session: sent to sign in first
    page.get_by_label("令牌 API token").fill(token)
    page.get_by_role("button", name="登录 Sign in").click()
    page.wait_for_url(re.compile(r"/ui/overview"))


# ----------------------------------------------------------------------- tests
def test_click_through(demo: dict[str, Any], browser: Any, tmp_path: Path) -> None:
    url = demo["url"]
    context = browser.new_context(accept_downloads=True, locale="zh-CN")
    page = context.new_page()

    # sign-in: a wrong token is refused on the form, the right one gives an HttpOnly cookie
    page.goto(f"{url}/ui/login")
    check_page(page, "01-login")
    page.get_by_label("令牌 API token").fill("not-a-token")
    page.get_by_role("button", name="登录 Sign in").click()
    assert "令牌无效" in page.locator("[role=alert]").inner_text()
    sign_in(page, url, demo["tokens"]["admin"])
    cookie = next(c for c in context.cookies() if c["name"] == "fivestar_ui")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/ui"
    assert demo["tokens"]["admin"] not in cookie["value"]

    # overview: the chart, and counts per county that add up to the registry
    assert "星级总览" in page.locator("h1").inner_text()
    assert page.locator("svg.chart rect").count() > 0
    check_page(page, "02-overview")
    year = int(page.locator("#year").input_value())
    total = page.locator("tr.total td").first.inner_text()
    assert int(total) == BRANCHES

    # → county → township → branch
    page.locator("table.counts tbody tr:not(.total) th a").first.click()
    page.wait_for_url(re.compile(r"county="))
    check_page(page, "03-county")
    page.locator("table.counts tbody tr:not(.total) th a").first.click()
    page.wait_for_url(re.compile(r"township="))
    check_page(page, "04-township")
    page.locator("table tbody td a[href^='/ui/branches/']").first.click()
    page.wait_for_url(re.compile(r"/ui/branches/[^/]+\?"))
    check_page(page, "05-branch")
    body = page.locator("main").inner_text()
    assert "✓" in body or "✗" in body
    assert re.search(r"(支部过硬星|支部过硬星)", body)

    # → an evidence id → that record in the branch's history
    link = page.locator("a.evidence").first
    record_id = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r"/history#rec-"))
    assert page.evaluate("document.querySelector(':target').id") == f"rec-{record_id}"
    assert record_id in page.locator(f"[id='rec-{record_id}']").inner_text()
    check_page(page, "06-history")

    # the timeline filtered by type (htmx swaps it in place; the URL follows)
    kind = "meeting.held"
    page.get_by_label("类型 type").select_option(kind)
    page.get_by_role("button", name="筛选 Filter").click()
    page.wait_for_function("() => location.search.includes('type=meeting.held')")
    page.wait_for_function(
        "() => [...document.querySelectorAll('ol.timeline li .kind code')]"
        ".every(e => e.textContent === 'meeting.held')"
    )
    assert page.locator("ol.timeline li").count() > 0
    check_page(page, "07-history-filtered")

    # recompute preview, then adoption with a reason (admin)
    page.get_by_role("link", name="重算预览 Recompute").click()
    page.get_by_label("年度 year").select_option(str(year))
    page.get_by_label("评星标准 rulebook").select_option("puyang-2024-revision")
    page.get_by_role("button", name="预览 Preview").click()
    page.wait_for_url(re.compile(r"rulebook=puyang-2024-revision"))
    assert page.get_by_role("heading", name=re.compile("结果")).count() == 1
    check_page(page, "08-recompute")
    page.get_by_label(re.compile("理由 reason")).fill("浏览器测试 adoption from the dashboard")
    page.get_by_role("button", name=re.compile("采用")).click()
    page.wait_for_url(re.compile(r"adopted=1"))
    assert "已采用" in page.locator("[role=status]").inner_text()
    adoptions = api(demo, "/rulebooks").json()["adoptions"]
    assert [(a["year"], a["rulebook"], a["recorder"]) for a in adoptions][-1:] == [
        (year, "puyang-2024-revision", "api:ui-admin")
    ]

    # an export download from the dashboard, compared with the JSON endpoint (once the
    # read models reflect the adoption)
    head = api(demo, "/health").json()["head"]
    expected = api(demo, "/eligibility", year=year, min_position=head).json()
    page.goto(f"{url}/ui/list?year={year}")
    check_page(page, "09-list")
    with page.expect_download() as info:
        page.get_by_role("link", name="XLSX").click()
    saved = tmp_path / "list.xlsx"
    info.value.save_as(saved)
    sheet = _sheet(saved)
    assert sheet[0][0] == "支部代码 branch"
    assert [(r[0], r[5]) for r in sheet[1:]] == [
        (e["branch"], len(e["eligible"])) for e in expected
    ]

    # the API's own exports: XLSX and CSV (with BOM) say what its JSON says
    awards = api(demo, "/awards", year=year).json()
    book = tmp_path / "awards.xlsx"
    book.write_bytes(api(demo, "/awards", year=year, format="xlsx").content)
    rows = _sheet(book)
    assert [(r[0], r[2]) for r in rows[1:]] == [(a["branch"], a["level"]) for a in awards]
    raw = api(demo, "/priority", year=year, format="csv").content
    assert raw.startswith("\ufeff".encode())
    listed = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r[0] for r in listed[1:]] == [
        p["branch"] for p in api(demo, "/priority", year=year).json()
    ]

    # sign-out: the cookie is gone and pages send the reader to sign in again
    page.goto(f"{url}/ui/overview")
    page.get_by_role("button", name="退出 Sign out").click()
    page.wait_for_url(re.compile(r"/ui/login"))
    assert not [c for c in context.cookies() if c["name"] == "fivestar_ui"]
    page.goto(f"{url}/ui/overview")
    assert "/ui/login" in page.url
    context.close()


def test_county_token_sees_its_county_only(demo: dict[str, Any], browser: Any) -> None:
    url, own = demo["url"], demo["counties"][0]
    others = [b for b in _registry(demo["db"]) if b["county"] != own]
    page = browser.new_context(locale="zh-CN").new_page()
    sign_in(page, url, demo["tokens"]["county"])
    groups = page.locator("table.counts tbody tr:not(.total) th").all_inner_texts()
    assert groups == [own]  # the overview shows only the token's county
    check_page(page, "10-county-overview")

    answer = page.goto(f"{url}/ui/branches/{others[0]['code']}")
    assert answer is not None and answer.status == 404  # as a code nobody registered
    assert "未找到" in page.locator("h1").inner_text()
    check_page(page, "11-refused-branch")

    answer = page.goto(f"{url}/ui/recompute")
    assert answer is not None and answer.status == 403  # a county may not recompute
    check_page(page, "12-refused-recompute")


def test_forms_that_write_need_the_csrf_token(demo: dict[str, Any], browser: Any) -> None:
    """A forged adoption (valid session, no CSRF token) is refused and records nothing."""
    page = browser.new_context(locale="zh-CN").new_page()
    sign_in(page, demo["url"], demo["tokens"]["admin"])
    before = api(demo, "/rulebooks").json()["adoptions"]
    answer = page.request.post(
        f"{demo['url']}/ui/recompute/adopt",
        form={"year": "2025", "rulebook": "puyang-2024-revision", "reason": "forged"},
        max_redirects=0,
    )
    assert answer.status == 403
    assert api(demo, "/rulebooks").json()["adoptions"] == before


def _sheet(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path).worksheets[0]
    assert sheet.freeze_panes == "A2"  # the header row stays in view
    assert sheet.column_dimensions["A"].width >= 10
    return [list(r) for r in sheet.iter_rows(values_only=True)]
