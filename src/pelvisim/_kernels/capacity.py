"""Force capacity and passive forces of the muscles and the ITB (Numba).

Active capacity of muscle i at full strength: ``Fmax_i fl(l~_i)`` with the
Gaussian force-length curve ``fl = exp(-(l~ - 1)^2 / width)`` of the
normalised fibre length ``l~ = (L - L_ts) / (L_opt cos(pennation))``; passive
fibre force ``Fmax (exp(k e / e0) - 1) / (exp(k) - 1)`` beyond the passive
slack length (strain ``e`` per optimal length; Thelen 2003's form); the ITB a
linear spring beyond its slack length. A strength factor scales the active
part only (:func:`active_capacity`).
"""
import numpy as np
from numba import njit

from .jit import step


@step
def fibre_forces(model, length, cap, fp):
    """``cap`` (n,) [N] active capacity at full strength and ``fp`` (n,) [N]
    passive fibre force at muscle-tendon lengths ``length`` [m]."""
    norm = np.exp(model.pe_shape) - 1.0
    for i in range(length.shape[0]):
        lt = (length[i] - model.lts[i]) / (model.lopt[i] * model.cos_penn[i])
        fl = np.exp(-(lt - 1.0) ** 2 / model.fl_width) if model.use_fl else 1.0
        cap[i] = model.fmax[i] * fl
        stretch = (length[i] - model.passive_slack[i]) / model.lopt[i]
        fp[i] = 0.0
        if model.has_passive[i] and stretch > 0.0:
            fp[i] = model.fmax[i] * (np.exp(model.pe_shape * stretch / model.pe_strain) - 1.0) / norm


@step
def itb_band(model, itb_len, itb_passive):
    """Passive tension [N] of each ITB at path length ``itb_len`` [m]."""
    for side in range(2):
        st = itb_len[side] - model.itb_slack[side]
        itb_passive[side] = model.itb_stiffness[side] * st if st > 0.0 else 0.0


@njit(cache=True)
def active_capacity(strength, cap, fa):
    """``fa = strength * cap`` [N]: the force of each muscle at full activation."""
    for i in range(cap.shape[0]):
        fa[i] = strength[i] * cap[i]
