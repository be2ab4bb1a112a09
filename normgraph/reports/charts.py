"""Charts as self-contained, accessible SVG (title, desc, role="img"; a table alternative is in the
page): the 5x5 likelihood x impact heat map and a horizontal bar chart of coverage percentages."""

from __future__ import annotations

from html import escape

CELL = 44
PALETTE = ["#e8f5e9", "#fff59d", "#ffcc80", "#ef9a9a", "#e57373"]


def _band(likelihood: int, impact: int) -> str:
    score = likelihood * impact
    return PALETTE[0 if score <= 3 else 1 if score <= 6 else 2 if score <= 12 else 3 if score <= 16 else 4]


def heatmap_svg(grid: list[list[int]], title: str, ident: str) -> str:
    """grid[likelihood-1][impact-1] = count. Likelihood on the vertical axis (5 at the top)."""
    left, top = 70, 34
    width, height = left + 5 * CELL + 10, top + 5 * CELL + 46
    total = sum(sum(r) for r in grid)
    cells = []
    for likelihood in range(1, 6):
        for impact in range(1, 6):
            n = grid[likelihood - 1][impact - 1]
            x, y = left + (impact - 1) * CELL, top + (5 - likelihood) * CELL
            cells.append(
                f'<g><title>likelihood {likelihood}, impact {impact}: {n} risk(s)</title>'
                f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{_band(likelihood, impact)}" stroke="#555"/>'
                f'<text x="{x + CELL / 2}" y="{y + CELL / 2 + 5}" text-anchor="middle" font-size="15" '
                f'font-weight="{"bold" if n else "normal"}" data-l="{likelihood}" data-i="{impact}">{n if n else ""}</text></g>'
            )
    axes = [f'<text x="{left + (i - 0.5) * CELL}" y="{top + 5 * CELL + 16}" text-anchor="middle" font-size="12">{i}</text>'
            for i in range(1, 6)]
    axes += [f'<text x="{left - 10}" y="{top + (5 - i) * CELL + CELL / 2 + 4}" text-anchor="end" font-size="12">{i}</text>'
             for i in range(1, 6)]
    axes.append(f'<text x="{left + 2.5 * CELL}" y="{top + 5 * CELL + 36}" text-anchor="middle" font-size="12">impact</text>')
    axes.append(f'<text x="16" y="{top + 2.5 * CELL}" text-anchor="middle" font-size="12" '
                f'transform="rotate(-90 16 {top + 2.5 * CELL})">likelihood</text>')
    desc = "; ".join(f"L{l_ + 1}×I{i + 1}: {grid[l_][i]}" for l_ in range(5) for i in range(5) if grid[l_][i])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">'
        f'<title id="{ident}-t">{escape(title)}</title>'
        f'<desc id="{ident}-d">{total} risks placed. Counts per cell (likelihood × impact): {escape(desc) or "none"}.</desc>'
        f'<text x="{left}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>'
        + "".join(cells) + "".join(axes) + "</svg>"
    )


def bars_svg(rows: list[tuple[str, float, float, float, float]], title: str, ident: str) -> str:
    """rows: (label, full %, no-current-evidence %, partial %, none %), each share as the report counts
    it (never one computed from the others). Stacked horizontal bars, 0–100 %."""
    label_w, bar_w, row_h, top = 300, 360, 22, 30
    height = top + row_h * len(rows) + 30
    width = label_w + bar_w + 110
    parts = []
    for n, (label, full, unevidenced, partial, none) in enumerate(rows):
        y = top + n * row_h
        fw, ew, pw = bar_w * full / 100, bar_w * unevidenced / 100, bar_w * partial / 100
        short_label = label if len(label) <= 46 else label[:45] + "…"
        parts.append(
            f'<g><title>{escape(label)}: {full:.1f}% fully, {unevidenced:.1f}% implemented without current evidence, '
            f'{partial:.1f}% in part, {none:.1f}% not covered</title>'
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">{escape(short_label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 6}" fill="#eee" stroke="#bbb"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{fw:.1f}" height="{row_h - 6}" fill="#2e7d32"/>'
            f'<rect x="{label_w + fw:.1f}" y="{y + 3}" width="{ew:.1f}" height="{row_h - 6}" fill="#a5d6a7" stroke="#fff"/>'
            f'<rect x="{label_w + fw + ew:.1f}" y="{y + 3}" width="{pw:.1f}" height="{row_h - 6}" fill="#b26a00" stroke="#fff"/>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 15}" font-size="12">{full:.0f}% full · {partial:.0f}% part</text></g>'
        )
    legend_y = top + row_h * len(rows) + 18
    legend = (f'<rect x="{label_w}" y="{legend_y - 10}" width="12" height="12" fill="#2e7d32"/>'
              f'<text x="{label_w + 16}" y="{legend_y}" font-size="12">fully</text>'
              f'<rect x="{label_w + 70}" y="{legend_y - 10}" width="12" height="12" fill="#b26a00" stroke="#fff"/>'
              f'<text x="{label_w + 86}" y="{legend_y}" font-size="12">in part</text>'
              f'<rect x="{label_w + 150}" y="{legend_y - 10}" width="12" height="12" fill="#a5d6a7" stroke="#fff"/>'
              f'<text x="{label_w + 166}" y="{legend_y}" font-size="12">no current evidence</text>'
              f'<rect x="{label_w + 300}" y="{legend_y - 10}" width="12" height="12" fill="#eee" stroke="#bbb"/>'
              f'<text x="{label_w + 316}" y="{legend_y}" font-size="12">not at all</text>')
    desc = "; ".join(f"{label}: {full:.1f}% fully, {unevidenced:.1f}% without current evidence, {partial:.1f}% in part, "
                     f"{none:.1f}% not at all" for label, full, unevidenced, partial, none in rows)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{ident}-t {ident}-d" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
        f'<text x="0" y="18" font-size="14" font-weight="bold">{escape(title)}</text>'
        + "".join(parts) + legend + "</svg>"
    )
