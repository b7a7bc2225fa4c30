"""Stick figure of a solved posture in the sagittal and frontal planes, with
the muscle lines coloured by force."""
from __future__ import annotations

import numpy as np

from .geometry import geometry, posture_vector

_SHOULDER = 0.40  # trunk length drawn above L5/S1 [m] at the reference height


def _q_from(sol):
    return posture_vector(**{k: v for k, v in sol.posture.items()
                             if k not in ("trunk_flexion_deg", "trunk_lean_deg")})


def plot_posture(sol, path=None, *, title=None, max_force=None):
    """Draw ``sol`` (a :class:`pelvisim.Solution`) in two panels.

    Left: sagittal plane seen from the right (anterior to the right). Right:
    frontal plane seen from behind (the subject's right on the right), the view
    in which a Trendelenburg drop or a Duchenne lean is judged. Muscle lines are
    coloured and sized by force [N]; the ITB is drawn dashed.

    Returns the matplotlib Figure (saved to ``path`` when given).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    model = sol.model
    arr = model.arrays
    g = geometry(model, _q_from(sol))
    R, o = g.rotation, g.origin
    k = model.scale
    shoulder = o[0] + R[0] @ np.array([0.0, _SHOULDER * k, 0.0])
    feet = [o[3 + 2 * s] + R[3 + 2 * s] @ arr.foot_pt[s] for s in range(2)]
    ground = min(f[1] for f in feet)
    lines = [(o[0], shoulder), (o[1], o[0])]  # trunk; pelvis origin to L5/S1
    for s in range(2):
        hip, knee = o[2 + 2 * s], o[3 + 2 * s]
        lines += [(o[0], hip), (hip, knee), (knee, feet[s])]
    hips = (o[2], o[4])

    force = np.array([sol.muscle_force[n] for n in model.muscles])
    fmax = max_force or max(force.max(), 1.0)
    segs, vals = [], []
    for i in range(len(force)):
        pts = g.path_points[arr.path_start[i]:arr.path_start[i + 1]]
        for a, b in zip(pts[:-1], pts[1:]):
            segs.append((a, b))
            vals.append(force[i])
    vals = np.array(vals)
    order = np.argsort(vals)  # strongest drawn on top
    cmap = plt.get_cmap("inferno_r")
    fig, axes = plt.subplots(1, 2, figsize=(10, 6.5), constrained_layout=True)
    views = (("sagittal plane (from the right)", 0, "anterior x [m]"),
             ("frontal plane (from behind)", 2, "right z [m]"))
    for ax, (label, h, xlabel) in zip(axes, views):
        def xy(p):
            return (p[h], p[1] - ground)
        ax.add_collection(LineCollection([[xy(a), xy(b)] for a, b in lines], colors="0.35",
                                         linewidths=5, alpha=0.5, capstyle="round"))
        ax.plot([xy(hips[0])[0], xy(hips[1])[0]], [xy(hips[0])[1], xy(hips[1])[1]], color="0.35",
                lw=5, alpha=0.5)
        mus = [[xy(segs[i][0]), xy(segs[i][1])] for i in order]
        widths = 0.5 + 3.5 * vals[order] / fmax
        ax.add_collection(LineCollection(mus, colors=cmap(vals[order] / fmax), linewidths=widths))
        itb = g.itb_points
        for s in range(2):
            p = itb[arr.itb_start[s]:arr.itb_start[s + 1]]
            ax.plot(p[:, h], p[:, 1] - ground, ls="--", color="tab:green", lw=1.5,
                    label=f"ITB {('right', 'left')[s]}: {sol.itb_tension['rl'[s]]:.0f} N")
        ax.axhline(0.0, color="0.6", lw=1)
        for p in (o[0], hips[0], hips[1]):
            ax.plot(*xy(p), "o", color="0.2", ms=5)
        ax.set_aspect("equal")
        ax.set_title(label)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("height above the ground [m]")
        ax.autoscale_view()
        x0, x1 = ax.get_xlim()
        mid = 0.5 * (x0 + x1)
        ax.set_xlim(mid - 0.55, mid + 0.55)
        ax.set_ylim(-0.05, shoulder[1] - ground + 0.1)
        ax.grid(alpha=0.3)
    axes[1].legend(loc="lower right", fontsize=8)
    post = sol.posture
    text = (f"pelvic tilt {post['pelvic_tilt_deg']:.1f} deg, list {post['pelvic_list_deg']:.1f} deg\n"
            f"trunk flexion {post['trunk_flexion_deg']:.1f} deg, lean {post['trunk_lean_deg']:.1f} deg\n"
            f"hip contact R {sol.hip_contact_force['r'] / sol.body_weight:.2f} BW, "
            f"L5/S1 compression {sol.l5s1_compression:.0f} N")
    axes[0].text(0.02, 0.02, text, transform=axes[0].transAxes, fontsize=8, va="bottom",
                 bbox=dict(facecolor="white", alpha=0.8, edgecolor="0.8"))
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, fmax))
    fig.colorbar(sm, ax=axes, shrink=0.6, label="muscle force [N]")
    fig.suptitle(title or f"{sol.task.describe()}, compensation {sol.compensation!r}")
    if path is not None:
        fig.savefig(path, dpi=130)
        plt.close(fig)
    return fig
