"""Figures (pelvisim.plots) write non-empty PNGs from small real sweeps."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from pelvisim.sensitivity import SobolSizeWarning

import pelvisim
from pelvisim import plots
from pelvisim.sweep import sensitivity, sweep

SLS = pelvisim.task("single_leg_stance")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def curve_ds(model):
    return sweep(model, SLS, {"gluteus_medius": [1.0, 0.5, 0.1],
                              "compensation": ["none", "optimal"]}, progress=False)


def _check(fig, path):
    assert path.stat().st_size > 5000
    assert path.read_bytes()[:8] == PNG
    for ax in fig.axes:
        if ax.get_visible() and ax.has_data():
            assert ax.get_xlabel() or ax.get_ylabel()
    plt.close(fig)


def _visible(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def test_curves(curve_ds, tmp_path):
    p = tmp_path / "curves.png"
    names = ["tfl", "itb_tension", "erector_spinae", "hip_contact_force"]
    fig = plots.curves(curve_ds, names, p)
    axes = _visible(fig)
    assert len(axes) == 4  # a panel per output, one unit per figure
    assert all(ax.get_ylabel() == "[N]" for ax in axes)
    assert "Python" not in fig._suptitle.get_text() and "(" not in fig._suptitle.get_text()
    _check(fig, p)
    fig = plots.curves(curve_ds, names, bw=True)
    assert all(ax.get_ylabel() == "[BW]" for ax in _visible(fig))
    plt.close(fig)
    p = tmp_path / "posture.png"
    fig = plots.curves(curve_ds, ["pelvic_list_deg", "trunk_lean_deg"], p)
    for ax in _visible(fig):  # no axis narrower than 2 deg
        lo, hi = ax.get_ylim()
        assert hi - lo >= plots.MIN_SPAN["deg"]
    _check(fig, p)


def test_curves_leave_out_infeasible_and_keep_a_minimum_span(model):
    ds = sweep(model, SLS, {"gluteus_medius+gluteus_minimus": [1.0, 0.5, 0.0]}, progress=False)
    assert not bool(ds["feasible"].sel(gluteus_medius_and_gluteus_minimus=0.0))
    fig = plots.curves(ds, ["tfl", "quadratus_lumborum"])
    tfl, ql = _visible(fig)
    line = tfl.get_lines()[0]
    assert np.isnan(line.get_ydata()[-1]) and np.isfinite(line.get_ydata()[:2]).all()
    feasible_max = float(ds["group_force"].sel(group="tfl", side="r").where(ds["feasible"]).max())
    assert tfl.get_ylim()[1] < 1.2 * feasible_max  # not squashed by the infeasible value
    lo, hi = ql.get_ylim()  # QL barely changes: the axis spans at least 10 N
    assert hi - lo >= plots.MIN_SPAN["N"]
    assert any("within" in t.get_text() for t in ql.texts)
    plt.close(fig)


def test_abductor_share(curve_ds, tmp_path):
    p = tmp_path / "share.png"
    _check(plots.abductor_share(curve_ds, p), p)


def test_heatmap(model, tmp_path):
    ds = sweep(model, SLS, {"gluteus_medius": [1.0, 0.5, 0.1], "gluteus_maximus": [1.0, 0.5]},
               progress=False)
    p = tmp_path / "heat.png"
    _check(plots.heatmap(ds, "itb_tension", p), p)


def test_bands_and_sobol(model, tmp_path):
    ds = sweep(model, SLS, {"gluteus_medius": [1.0, 0.5],
                            "param.itb_gluteus_maximus_fraction": (0.5, 0.9),
                            "body.mass_kg": (60.0, 90.0)}, sampler="sobol", n=4, seed=1,
               progress=False)
    p = tmp_path / "bands.png"
    _check(plots.bands(ds, ["itb_tension", "tfl"], p), p)
    p = tmp_path / "sobol.png"
    with pytest.warns(SobolSizeWarning):  # a small design, below SOBOL_MIN_N
        idx = sensitivity(ds, ["itb_tension"])
    _check(plots.sobol_bars(idx, p), p)


def test_x_factor_needs_numeric(curve_ds):
    with pytest.raises(ValueError):
        plots.x_factor(curve_ds.isel(gluteus_medius=0, drop=True))


def test_posture_figure_labels_condition_and_bounds(model, tmp_path):
    from pelvisim.posture_plot import MIN_FORCE_N, plot_posture

    # weak abductors without the frontal-orientation cost reach the bounds (test_report)
    weak = model.with_params(frontal_orientation_weight=0.0).with_strength(
        gluteus_medius=0.2, gluteus_minimus=0.2)
    sol = pelvisim.solve(weak, SLS, compensation="optimal")
    assert sol.compensation_at_bound
    p = tmp_path / "posture.png"
    fig = plot_posture(sol, p)
    title = fig._suptitle.get_text()
    assert "gluteus medius strength 0.2" in title and "optimal compensation" in title
    assert "frontal_orientation_weight 0" in title
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "gluteus medius" in texts and "TFL" in texts and "ITB" in texts
    assert "AT BOUND: pelvic list" in texts
    assert ("INFEASIBLE" in texts) == (not sol.feasible)
    # only muscles above the threshold are drawn
    drawn = sum(len(c.get_segments()) for c in fig.axes[0].collections[1:2])
    strong = sum(1 for m, f in sol.muscle_force.items() if f >= MIN_FORCE_N)
    assert 0 < drawn and strong < len(sol.muscle_force)
    assert p.stat().st_size > 5000
    plt.close(fig)
