"""Charts as server-rendered SVG: readable without JavaScript, colours from app.css classes,
a <title> and <desc> for screen readers. Every page also shows the numbers as a table."""

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 48


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _nice_max(value: float) -> float:
    """The top of the y axis: five equal steps of 1, 2, 5, 10, 20, 50... covering `value`."""
    scale = 1
    while True:
        for step in (scale, 2 * scale, 5 * scale):
            if step * 5 >= value:
                return step * 5
        scale *= 10


def _frame(chart_id: str, title: str, desc: str, body: list[str], legend: list[tuple[str, str]]):
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
        *body,
    ]
    x = LEFT
    for css, label in legend:
        parts.append(
            f'<rect class="{css} legend-key" x="{x}" y="{HEIGHT - 14}" width="10" height="10"/>'
            f'<text class="chart-label" x="{x + 14}" y="{HEIGHT - 5}">{escape(label)}</text>'
        )
        x += 24 + 7 * len(label)
    parts.append("</svg>")
    return Markup("".join(parts))


def _axes(top: float, labels: list[str]) -> list[str]:
    """Horizontal grid with five steps up to `top`, and every n-th x label."""
    plot_h = HEIGHT - TOP - BOTTOM
    out = []
    for i in range(6):
        value = top * i / 5
        y = TOP + plot_h - plot_h * i / 5
        out.append(
            f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        out.append(
            f'<text class="chart-label" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_number(value)}</text>"
        )
    every = max(1, -(-len(labels) // 12))
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            x = _x(i, len(labels))
            out.append(
                f'<text class="chart-label" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return out


def _x(i: int, n: int) -> float:
    plot_w = WIDTH - LEFT - RIGHT
    return LEFT + (plot_w * (i + 0.5) / n if n else 0)


def _y(value: float, top: float) -> float:
    plot_h = HEIGHT - TOP - BOTTOM
    return TOP + plot_h - plot_h * (value / top if top else 0)


def line_chart(chart_id, title, desc, labels, series) -> Markup:
    """`series`: [(label, css class, values with None for gaps)]."""
    values = [v for _l, _c, items in series for v in items if v is not None]
    top = _nice_max(max(values, default=0))
    body = _axes(top, labels)
    for _label, css, items in series:
        points, path = [], []
        for i, value in enumerate(items):
            if value is None:
                if points:
                    path.append(points)
                points = []
                continue
            points.append(f"{_x(i, len(labels)):.1f},{_y(value, top):.1f}")
        if points:
            path.append(points)
        for run in path:
            body.append(f'<polyline class="{css}" fill="none" points="{" ".join(run)}"/>')
    legend = [(css, label) for label, css, _items in series]
    return _frame(chart_id, title, desc, body, legend)


def bar_chart(chart_id, title, desc, labels, series) -> Markup:
    """Grouped bars. `series`: [(label, css class, values)]."""
    values = [v for _l, _c, items in series for v in items]
    top = _nice_max(max(values, default=0))
    body = _axes(top, labels)
    n = len(labels) or 1
    slot = (WIDTH - LEFT - RIGHT) / n
    width = slot * 0.7 / max(1, len(series))
    for s, (_label, css, items) in enumerate(series):
        for i, value in enumerate(items):
            x = LEFT + slot * i + slot * 0.15 + width * s
            y = _y(value, top)
            height = HEIGHT - BOTTOM - y
            body.append(
                f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{width:.1f}" height="{height:.1f}">'
                f"<title>{escape(labels[i])}: {_number(value)}</title></rect>"
            )
    legend = [(css, label) for label, css, _items in series]
    return _frame(chart_id, title, desc, body, legend)


def stacked_area(chart_id, title, desc, labels, bands) -> Markup:
    """Bands stacked bottom-up in the given order. `bands`: [(label, css class, values)]."""
    n = len(labels)
    totals = [sum(items[i] for _l, _c, items in bands) for i in range(n)]
    top = _nice_max(max(totals, default=0))
    body = _axes(top, labels)
    below = [0] * n
    for _label, css, items in bands:
        above = [below[i] + items[i] for i in range(n)]
        upper = [f"{_x(i, n):.1f},{_y(above[i], top):.1f}" for i in range(n)]
        lower = [f"{_x(i, n):.1f},{_y(below[i], top):.1f}" for i in reversed(range(n))]
        if n:
            body.append(f'<polygon class="{css}" points="{" ".join(upper + lower)}"/>')
        below = above
    legend = [(css, label) for label, css, _items in bands]
    return _frame(chart_id, title, desc, body, legend)
