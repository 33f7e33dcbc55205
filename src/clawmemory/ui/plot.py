"""Energy over time as an inline SVG, drawn on the server (no JavaScript, readable by screen
readers through its title, description and the table that goes with it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
W, H = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def energy_svg(series: Mapping[str, Sequence[Mapping[str, Any]]], *, title: str = "Energy over time") -> Markup:
    """One line per entry through its recorded balances (``{at, energy, event}`` points)."""
    points = [(_seconds(p["at"]), float(p["energy"])) for pts in series.values() for p in pts]
    if not points:
        return Markup('<p class="empty">No ledger events with an energy yet.</p>')
    t0, t1 = min(t for t, _ in points), max(t for t, _ in points)
    e0, e1 = min(0.0, *(e for _, e in points)), max(e for _, e in points)
    span_t, span_e = (t1 - t0) or 1.0, (e1 - e0) or 1.0

    def x(t: float) -> float:
        return LEFT + (t - t0) / span_t * (W - LEFT - RIGHT)

    def y(e: float) -> float:
        return TOP + (e1 - e) / span_e * (H - TOP - BOTTOM)

    parts = [
        f'<svg class="plot" role="img" aria-labelledby="plot-title plot-desc" viewBox="0 0 {W} {H}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="plot-title">{escape(title)}</title>',
        f'<desc id="plot-desc">Balance of {len(series)} ledger entries at each event that recorded it, '
        f"from {escape(_label(t0))} to {escape(_label(t1))}; the table below lists the same values.</desc>",
        f'<rect x="{LEFT}" y="{TOP}" width="{W - LEFT - RIGHT}" height="{H - TOP - BOTTOM}" class="frame"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        value = e0 + frac * span_e
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" class="tick">{value:.2f}</text>')
    parts.append(f'<text x="{LEFT}" y="{H - 12}" class="tick">{escape(_label(t0))}</text>')
    parts.append(f'<text x="{W - RIGHT}" y="{H - 12}" text-anchor="end" class="tick">{escape(_label(t1))}</text>')
    for n, (entry, pts) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        coords = " ".join(f"{x(_seconds(p['at'])):.1f},{y(float(p['energy'])):.1f}" for p in pts)
        parts.append(
            f'<g class="series" data-entry="{escape(entry)}">'
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        for p in pts:
            parts.append(
                f'<circle cx="{x(_seconds(p["at"])):.1f}" cy="{y(float(p["energy"])):.1f}" r="3.5" '
                f'fill="{colour}"><title>{escape(entry)} {escape(p["event"])} '
                f"{float(p['energy']):.3f} at {escape(p['at'])}</title></circle>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def colour(n: int) -> str:
    """The line colour of the ``n``-th series (for the legend)."""
    return COLOURS[n % len(COLOURS)]


def _label(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")
