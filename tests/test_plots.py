"""Figures (pelvisim.plots) write non-empty PNGs from small real sweeps."""
import matplotlib.pyplot as plt
import pytest

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


def test_curves(curve_ds, tmp_path):
    p = tmp_path / "curves.png"
    fig = plots.curves(curve_ds, ["tfl", "itb_tension", "erector_spinae", "hip_contact_force"], p)
    assert len(fig.axes) == 4  # (N, BW) x (none, optimal)
    assert "[N]" in fig.axes[0].get_ylabel()
    _check(fig, p)
    p = tmp_path / "posture.png"
    _check(plots.curves(curve_ds, ["pelvic_list_deg", "trunk_lean_deg"], p), p)


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
    _check(plots.sobol_bars(sensitivity(ds, ["itb_tension"]), p), p)


def test_x_factor_needs_numeric(curve_ds):
    with pytest.raises(ValueError):
        plots.x_factor(curve_ds.isel(gluteus_medius=0, drop=True))
