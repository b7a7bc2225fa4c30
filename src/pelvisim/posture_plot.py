"""Stick figure of a solved posture in the sagittal and frontal planes, with
the muscle lines coloured by force."""
from __future__ import annotations

import numpy as np

from .conventions import DE_LEVA_STATURE_M, SHOULDER_HEIGHT_M, TRUNK_ANGLES
from .geometry import geometry, posture_vector


def _q_from(sol):
    return posture_vector(**{k: v for k, v in sol.posture.items()
                             if k[:-len("_deg")] not in TRUNK_ANGLES})


KEY_GROUPS = {"gluteus_medius": "gluteus medius", "tfl": "TFL",
              "quadratus_lumborum": "QL", "erector_spinae": "erector spinae"}
MIN_FORCE_N = 20.0  # muscles below this force [N] are not drawn


def plot_posture(sol, path=None, *, title=None, max_force=None, min_force=MIN_FORCE_N):
    """Draw ``sol`` (a :class:`pelvisim.Solution`) in two panels.

    Left: sagittal plane seen from the right (anterior to the right). Right:
    frontal plane seen from behind (the subject's right on the right), the view
    in which a Trendelenburg drop or a Duchenne lean is judged. Muscle lines
    above ``min_force`` [N] are drawn, coloured and sized by force; the key
    muscles (gluteus medius, TFL, QL, erector spinae) are labelled with their
    group force per side, the ITB is drawn dashed with its tension. The title
    says the condition (task, model, compensation); a box gives the posture,
    the feasibility and any compensation angle on its bound.

    Returns the matplotlib Figure (saved to ``path`` when given).
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    model = sol.model
    arr = model.arrays
    g = geometry(model, _q_from(sol))
    R, o = g.rotation, g.origin
    shoulder = o[0] + R[0] @ np.array([0.0, SHOULDER_HEIGHT_M * model.height_m
                                       / DE_LEVA_STATURE_M, 0.0])
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
    shown = force >= min_force
    for i in range(len(force)):
        if not shown[i]:
            continue
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
        _label_key_muscles(ax, sol, g, arr, xy, h)
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
            f"L {sol.hip_contact_force['l'] / sol.body_weight:.2f} BW\n"
            f"L5/S1 compression {sol.l5s1_compression:.0f} N")
    bounds = sol.compensation_at_bound
    warn = []
    if not sol.feasible:
        worst = max(sol.reserve.items(), key=lambda kv: abs(kv[1]))
        warn.append(f"INFEASIBLE: reserve {worst[0]} {worst[1]:.2f} N m\n(forces shown are "
                    "not results)")
    warn += [f"AT BOUND: {b.angle.replace('_', ' ')}, {b.bound} bound "
             f"({b.value_deg:g} deg{' change' if b.relative else ''})" for b in bounds]
    if warn:
        text += "\n" + "\n".join(warn)
    axes[0].text(0.02, 0.02, text, transform=axes[0].transAxes, fontsize=8, va="bottom",
                 color="firebrick" if warn else "black",
                 bbox=dict(facecolor="white", alpha=0.85, edgecolor="0.8"))
    if any(b.angle in ("pelvic_list", "trunk_lean") for b in bounds):
        _draw_bounds(axes[1], sol, bounds, g, ground)
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, fmax))
    fig.colorbar(sm, ax=axes, shrink=0.6,
                 label=f"muscle force [N] (muscles below {min_force:g} N not drawn)")
    fig.suptitle(title or _title(sol), fontsize=10)
    if path is not None:
        fig.savefig(path, dpi=130)
        plt.close(fig)
    return fig


def _title(sol) -> str:
    from .labels import compensation_words, model_words, task_words

    return (f"{task_words(sol.task)}\n{model_words(sol.model)}; "
            f"{compensation_words(sol.compensation)}")


def _label_key_muscles(ax, sol, g, arr, xy, h):
    """Name the key muscles at the middle of their strongest line, with the
    group force of that side; the ITB at its middle."""
    model = sol.model
    for group, text in KEY_GROUPS.items():
        if group not in model.groups:
            continue
        totals = {side: sum(sol.muscle_force[m] for m in model.groups[group]
                            if m.endswith("_" + side)) for side in ("r", "l")}
        sides = ("r", "l") if h == 2 else (max(totals, key=totals.get),)
        for side in sides:
            names = [m for m in model.groups[group] if m.endswith("_" + side)]
            total = totals[side]
            best = max(names, key=lambda m: sol.muscle_force[m])
            if sol.muscle_force[best] < MIN_FORCE_N:
                continue  # not drawn
            i = model.muscles.index(best)
            pts = g.path_points[arr.path_start[i]:arr.path_start[i + 1]]
            mid = xy(0.5 * (pts[0] + pts[-1]))
            dx = 0.1 if (h == 2 and side == "r") or (h == 0 and group != "erector_spinae") \
                else -0.1
            ax.annotate(f"{text} {side.upper()} {total:.0f} N", mid,
                        xytext=(mid[0] + dx * 1.6, mid[1] + 0.03), fontsize=7.5,
                        ha="left" if dx > 0 else "right", color="0.1",
                        arrowprops=dict(arrowstyle="-", color="0.4", lw=0.6))
    itb = g.itb_points
    for s in range(2):
        p = itb[arr.itb_start[s]:arr.itb_start[s + 1]]
        t = sol.itb_tension["rl"[s]]
        if t < MIN_FORCE_N or (h == 0 and s == 1):
            continue
        mid = xy(p[len(p) // 2])
        dx = 0.12 if (h == 2 and s == 0) or h == 0 else -0.12
        ax.annotate(f"ITB {'RL'[s]} {t:.0f} N", mid, xytext=(mid[0] + dx, mid[1] - 0.08),
                    fontsize=7.5, color="tab:green", ha="left" if dx > 0 else "right",
                    arrowprops=dict(arrowstyle="-", color="tab:green", lw=0.6))


def _draw_bounds(ax, sol, bounds, g, ground):
    """Frontal view: the binding compensation bound as a red line through the
    pelvis (list) or the trunk (lean) at the bound's angle."""
    import numpy as np

    o = g.origin
    for b in bounds:
        if b.angle == "pelvic_list":
            c = 0.5 * (o[2] + o[4])
            ang = np.deg2rad(sol.posture["pelvic_list_deg"])
            d = 0.16 * np.array([np.cos(ang), np.sin(ang)])
            ax.plot([c[2] - d[0], c[2] + d[0]], [c[1] - ground - d[1], c[1] - ground + d[1]],
                    color="firebrick", lw=1.5, ls=":")
            ax.annotate(f"list at {b.bound} bound", (c[2] + d[0], c[1] - ground + d[1]),
                        fontsize=7.5, color="firebrick", xytext=(4, -10),
                        textcoords="offset points")
        elif b.angle == "trunk_lean":
            c = o[0]
            ang = np.deg2rad(sol.posture["trunk_lean_deg"])
            d = 0.35 * np.array([np.sin(ang), np.cos(ang)])
            ax.plot([c[2], c[2] + d[0]], [c[1] - ground, c[1] - ground + d[1]],
                    color="firebrick", lw=1.5, ls=":")
            ax.annotate(f"lean at {b.bound} bound", (c[2] + d[0], c[1] - ground + d[1]),
                        fontsize=7.5, color="firebrick", xytext=(4, 0),
                        textcoords="offset points")
