"""A stacked bar chart as SVG, written by hand on the server (no charting library, no canvas).

Per county or township two bars: branches by the number of stars they are eligible for now
(可评) and by the level they were awarded (已授). Each segment is a link to the list behind
it and carries a <title> a screen reader and a mouse pointer can read.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from api.http.ui.overview import LEVELS, Counts

COLOURS = {
    0: "#d9d9d9",
    1: "#fde0c5",
    2: "#f9c08a",
    3: "#f28c4a",
    4: "#dc4e2c",
    5: "#a8161c",
}
LABEL_W, BAR_W, BAR_H, GAP, LEGEND_H = 150, 520, 16, 14, 28


def stacked_bars(groups: list[Counts], link: Callable[[Counts, str, int], str]) -> str:
    """SVG markup; ``link(group, "eligible" | "awarded", level)`` gives each segment's URL."""
    widest = max((g.total for g in groups), default=0) or 1
    height = LEGEND_H + len(groups) * (2 * BAR_H + GAP) + 4
    width = LABEL_W + BAR_W + 60
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title" '
        'class="chart" font-family="sans-serif" font-size="12">',
        '<title id="chart-title">各单位支部星级分布（可评与已授）'
        " branches by star level, eligible now and awarded</title>",
    ]
    out.extend(_legend())
    y = LEGEND_H
    for g in groups:
        out.append(
            f'<text x="0" y="{y + BAR_H + 4}" dominant-baseline="middle">{escape(g.name)}</text>'
        )
        for row, (what, label, counts) in enumerate(
            (("eligible", "可评", g.eligible), ("awarded", "已授", g.awarded))
        ):
            top = y + row * BAR_H
            out.append(
                f'<text x="{LABEL_W - 4}" y="{top + BAR_H / 2}" text-anchor="end" '
                f'dominant-baseline="middle" font-size="10">{label}</text>'
            )
            out.extend(_bar(g, what, label, counts, top, widest, link))
        y += 2 * BAR_H + GAP
    out.append("</svg>")
    return "\n".join(out)


def _bar(
    g: Counts,
    what: str,
    label: str,
    counts: dict[int, int],
    top: float,
    widest: int,
    link: Callable[[Counts, str, int], str],
) -> list[str]:
    parts, x = [], float(LABEL_W)
    for level in LEVELS:
        n = counts[level]
        if not n:
            continue
        w = BAR_W * n / widest
        title = f"{g.name} {label}{level}星: {n} 个支部 ({what}={level})"
        parts.append(
            f'<a href="{escape(link(g, what, level))}"><rect x="{x:.1f}" y="{top:.1f}" '
            f'width="{w:.1f}" height="{BAR_H - 2}" fill="{COLOURS[level]}">'
            f"<title>{escape(title)}</title></rect>"
        )
        if w >= 18:
            ink = "#fff" if level >= 4 else "#222"
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{top + BAR_H / 2:.1f}" text-anchor="middle" '
                f'dominant-baseline="middle" font-size="10" fill="{ink}">{n}</text>'
            )
        parts.append("</a>")
        x += w
    return parts


def _legend() -> list[str]:
    parts, x = [], float(LABEL_W)
    for level in LEVELS:
        parts.append(
            f'<rect x="{x}" y="4" width="12" height="12" fill="{COLOURS[level]}"/>'
            f'<text x="{x + 16}" y="14">{level}星</text>'
        )
        x += 56
    return parts
