"""Path diagram of a fitted SEM with standardized estimates (matplotlib), as AMOS draws it.

Constructs are ellipses placed in columns by their causal depth (exogenous on the left),
their items are boxes above them with the standardized loadings, structural paths are
arrows labelled with standardized weights (bold when P < 0.05), curved double arrows
join correlated exogenous constructs, and each endogenous construct shows its R^2 (SMC).
"""

from __future__ import annotations

import numpy as np

__all__ = ["path_diagram"]


def _depths(fit):
    effects = fit.effect_matrices()["direct"]
    names = [v for v in fit.structure.inner]
    depth = {v: 0 for v in names}
    for _ in range(len(names)):
        for to in names:
            for frm in names:
                if frm != to and effects.loc[to, frm] != 0:
                    depth[to] = max(depth[to], depth[frm] + 1)
    return depth


def path_diagram(fit, *, title: str | None = None):
    """A matplotlib Figure of the model with standardized estimates (caller saves and closes it)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse, FancyArrowPatch, Rectangle

    est = fit.estimates_frame()
    smc = fit.smc_frame().set_index("Variable")["SMC"]
    depth = _depths(fit)
    columns: dict[int, list[str]] = {}
    for name, d in depth.items():
        columns.setdefault(d, []).append(name)
    items = {c: [name for s in fit.statements if s.op == "=~" and s.lhs == c for _, name in s.terms] for c in fit.structure.latent}
    widest = max((len(v) for v in items.values()), default=1)
    x_gap = max(5.5, 1.1 * widest + 1.5)
    y_gap = 4.2
    position = {}
    for d, names in sorted(columns.items()):
        for k, name in enumerate(names):
            position[name] = (d * x_gap, -(k - (len(names) - 1) / 2) * y_gap * (1.0 if d % 2 == 0 else 1.0) + (0.0 if d % 2 == 0 else -y_gap / 2 * (len(names) == 1) * 0))
    xs = [p[0] for p in position.values()]
    ys = [p[1] for p in position.values()]
    figure = Figure(figsize=(max(8, 2.2 * (max(xs) - min(xs)) / x_gap * 3 + 5), max(5.5, 1.6 * (max(ys) - min(ys)) / y_gap * 2 + 4)))
    ax = figure.add_subplot()
    ax.set_aspect("equal")
    ax.axis("off")

    def arrow(a, b, text, bold=False, style="-|>", rad=0.0, colour="#1f3b73", at=0.5):
        patch = FancyArrowPatch(a, b, arrowstyle=style, mutation_scale=12, color=colour, lw=1.3 if bold else 0.9,
                                connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2)
        ax.add_patch(patch)
        mx, my = a[0] + (b[0] - a[0]) * at, a[1] + (b[1] - a[1]) * at
        if rad:  # matplotlib's arc3 control point is the chord midpoint + rad (dy, -dx); the curve passes halfway to it
            mx += rad * (b[1] - a[1]) * 0.5
            my -= rad * (b[0] - a[0]) * 0.5
        ax.text(mx, my, text, fontsize=8, ha="center", va="center", fontweight="bold" if bold else "normal",
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"))

    for name, (x, y) in position.items():
        ax.add_patch(Ellipse((x, y), 2.6, 1.3, fc="#e8f0fb", ec="#1f3b73", lw=1.2))
        ax.text(x, y + (0.12 if name in smc.index else 0), name, ha="center", va="center", fontsize=10, fontweight="bold")
        if name in smc.index:
            ax.text(x, y - 0.35, f"R² = {smc[name]:.2f}", ha="center", va="center", fontsize=7)
        children = items.get(name, [])
        width = 1.0
        for k, item in enumerate(children):
            ix = x + (k - (len(children) - 1) / 2) * (width + 0.15)
            iy = y + 2.0
            ax.add_patch(Rectangle((ix - width / 2, iy - 0.3), width, 0.6, fc="#fffbe6", ec="#555555", lw=0.8))
            ax.text(ix, iy, item, ha="center", va="center", fontsize=7.5)
            row = est[(est["op"] == "=~") & (est["lval"] == name) & (est["rval"] == item)].iloc[0]
            arrow((x, y + 0.65), (ix, iy - 0.3), f"{row['Std. Estimate']:.2f}", colour="#555555", at=0.55)
    for r in est[est["op"] == "~"].itertuples():
        a, b = position[r.rval], position[r.lval]
        significant = bool(np.isfinite(r.P) and r.P < 0.05)
        arrow((a[0] + 1.3, a[1]), (b[0] - 1.3, b[1]), f"{r._10:.2f}{'*' if significant else ''}", bold=significant)
    for r in est[(est["Section"] == "Covariances")].itertuples():
        if r.lval in position and r.rval in position and depth[r.lval] == 0 and depth[r.rval] == 0:
            a, b = position[r.lval], position[r.rval]
            bend = 0.5 if b[1] < a[1] else -0.5  # always bulge to the left, away from the items
            arrow((a[0] - 1.3, a[1]), (b[0] - 1.3, b[1]), f"{r._10:.2f}", style="<|-|>", rad=bend, colour="#8a5a00")
    ax.set_xlim(min(xs) - 3.5, max(xs) + 3.0)
    ax.set_ylim(min(ys) - 1.8, max(ys) + 3.0)
    ix = fit.indices
    heading = title or "Path diagram (standardized estimates)"
    ax.set_title(f"{heading}\nchi-square = {ix['CMIN']:.2f}, df = {ix['DF']}, p = {ix['P']:.3f}, RMSEA = {ix['RMSEA']:.3f}, "
                 f"GFI = {ix['GFI']:.3f}, CFI = {ix['CFI']:.3f}   (* P < 0.05)", fontsize=9)
    figure.tight_layout()
    return figure
