"""The dashboard's pure parts: the SVG chart escapes what it draws, signed cookies refuse
tampering and expiry, ``Secure`` follows HTTPS, and spreadsheet cells read as people expect."""

from __future__ import annotations

import time

from api import exports
from api.http.ui import session
from api.http.ui.chart import stacked_bars
from api.http.ui.overview import Counts, Filter


def test_chart_escapes_names_and_links_every_segment() -> None:
    group = Counts("<script>县", county="<script>县")
    for level, n in ((0, 1), (3, 2), (5, 4)):
        group.eligible[level] = n
    group.awarded[5] = 7
    svg = stacked_bars([group], lambda g, what, level: f"/ui/list?{what}={level}&x=<")
    assert "<script>" not in svg and "&lt;script&gt;县" in svg
    assert svg.count("<a href=") == 4  # one per non-empty segment
    assert 'href="/ui/list?eligible=5&amp;x=&lt;"' in svg
    assert 'role="img"' in svg and "<title" in svg


def test_filter_keeps_the_rows_a_count_stands_for() -> None:
    row = {"eligible_level": 3, "awarded_level": None, "stale": False, "priority": None,
           "excluded": True}  # fmt: skip
    assert Filter(eligible=3).keeps(row) and Filter(awarded=0).keeps(row)
    assert Filter(excluded=True).keeps(row) and not Filter(stale=True).keeps(row)
    assert not Filter(eligible=2).keeps(row) and not Filter(priority=True).keeps(row)


def test_signed_cookies_refuse_tampering_and_expiry() -> None:
    started = session.Session.start("a-token")
    value = started.cookie_value()
    again = session.Session.from_cookie(value)
    assert again == started and started.token_hash != "a-token"
    body, mac = value.split(".")
    assert session.Session.from_cookie(f"{body}x.{mac}") is None
    assert session.Session.from_cookie(value[:-3] + "abc") is None
    assert session.Session.from_cookie("garbage") is None
    assert session.Session.from_cookie(None) is None
    expired = session.sign({"h": "x", "c": "y", "exp": int(time.time()) - 1})
    assert session.Session.from_cookie(expired) is None
    assert started.csrf_ok(started.csrf) and not started.csrf_ok("") and not started.csrf_ok(None)


def test_secure_only_behind_https() -> None:
    assert session.secure_request("https", None)
    assert session.secure_request("http", "https")
    assert session.secure_request("http", "HTTPS, http")
    assert not session.secure_request("http", None)
    assert not session.secure_request("http", "http")


def test_spreadsheet_cells() -> None:
    header, body = exports.cells(
        "awards",
        [{"branch": "V1", "year": 2025, "level": 4, "stars": ["a", "b"], "by": "city",
          "on": "2026-01-02", "stale": True,
          "now_failing": [{"star": "a", "criterion": "c", "detail": "0.78 < 0.80"}]}],
    )  # fmt: skip
    assert header[0] == "支部代码 branch"
    # ids no rulebook names stay bare; known ones carry their names (tests/api/test_export_labels)
    failing = "a · c: 0.78 < 0.80"
    assert body == [["V1", 2025, 4, "a、b", "a,b", "市级", "2026-01-02", "是", failing]]
    text = exports.to_csv("awards", []).decode("utf-8")
    assert text.startswith("\ufeff支部代码 branch,") and text.endswith("\r\n")
