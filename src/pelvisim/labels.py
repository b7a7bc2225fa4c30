"""Words for conditions: tasks, compensations, factor values (no Python reprs).

Every report (summary, figure title, validation table) names the condition
of each number with these, so the same condition reads the same everywhere.
"""
from __future__ import annotations

import json

import numpy as np

from .conventions import COMPENSATION_ANGLES

__all__ = ["task_words", "compensation_words", "value_words", "factor_words", "model_words",
           "fixed_conditions"]

_TASK = {"standing": "quiet standing", "single_leg_stance": "single-leg stance",
         "forward_bend": "forward bend", "gait_stance": "walking, stance phase"}
_SIDE = {"r": "right", "l": "left"}


def value_words(v) -> str:
    """A factor value: numbers with up to 4 significant digits, strings as is."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, float, np.integer, np.floating)):
        return f"{float(v):.4g}"
    return str(v)


def _param_words(name, v) -> str:
    if name == "side":
        return f"on the {_SIDE.get(v, v)} leg"
    if name.endswith("_deg"):
        return f"{name[:-4].replace('_', ' ')} {value_words(v)} deg"
    if name.endswith("_kg"):
        return f"{name[:-3].replace('_', ' ')} {value_words(v)} kg"
    if name.endswith("_m"):
        return f"{name[:-2].replace('_', ' ')} {value_words(v)} m"
    if name.endswith("_pct"):
        return f"{name[:-4].replace('_', ' ')} {value_words(v)} %"
    return f"{name.replace('_', ' ')} {value_words(v)}"


def task_words(task=None, *, name=None, params=None, skip=()) -> str:
    """``single-leg stance on the right leg, swing hip flexion 30 deg, ...``.

    Give a :class:`pelvisim.Task`, or ``name`` and ``params`` (a dict or the
    JSON of a dataset's ``task_params`` attribute). Parameters in ``skip``
    (swept ones) are left out.
    """
    if task is not None:
        name, params = task.name, task.params
    if isinstance(params, str):
        params = json.loads(params) if params else {}
    params = params or {}
    words = [_param_words(k, v) for k, v in params.items()
             if k not in skip and k != "table" and v is not None]
    head = _TASK.get(name, str(name).replace("_", " "))
    return head + (", " + ", ".join(words) if words else "")


def compensation_words(comp) -> str:
    """``posture fixed`` / ``optimal compensation`` / ``prescribed: pelvic tilt +5 deg``."""
    if comp is None or comp == "none":
        return "posture fixed (no compensation)"
    if comp == "optimal":
        return "optimal compensation"
    if isinstance(comp, str):
        return comp
    parts = []
    for name in COMPENSATION_ANGLES:
        v = getattr(comp, name + "_deg", None)
        if v not in (None, 0.0):
            parts.append(f"{name.replace('_', ' ')} {v:+g} deg")
    return "prescribed compensation: " + (", ".join(parts) if parts else "none")


def factor_words(ds, name, v) -> str:
    """``gluteus medius+minimus strength 0.5`` / ``hand load 10 kg`` for one factor value."""
    attrs = ds[name].attrs if name in ds.coords else {}
    kind = attrs.get("factor_kind", "")
    name = attrs.get("factor", name)  # the factor as spelled (dimension names have no "." or "+")
    if kind == "strength":
        return f"{name.replace('_', ' ')} strength {value_words(v)}"
    if kind == "tightness":
        return f"{name.split('.', 1)[1].replace('_', ' ')} tight by {value_words(v)} deg"
    if kind == "slack_shortening":
        return f"{name.split('.', 1)[1].replace('_', ' ')} slack shortening {value_words(v)}"
    if kind == "compensation":
        return compensation_words(str(v))
    if "." in name:
        return _param_words(name.split(".", 1)[1], v)
    return f"{name} {value_words(v)}"


def fixed_conditions(ds) -> str:
    """What every point of a sweep shares, in words: body, strengths set on the
    model, criterion, compensation (if not swept)."""
    attrs = ds.attrs
    parts = [f"{value_words(attrs.get('model_mass_kg', ''))} kg, "
             f"{value_words(attrs.get('model_height_m', ''))} m"]
    for key, what, unit in (("model_strength", "strength", ""), ("model_tightness_deg", "tight by",
                                                                 " deg"),
                            ("model_slack_shortening", "slack shortening", "")):
        edits = json.loads(attrs.get(key) or "{}")
        if edits:
            vals = {}
            for m, v in edits.items():
                vals.setdefault(round(v, 6), []).append(m)
            parts += [f"{len(ms)} muscles {what} {value_words(v)}{unit}"
                      for v, ms in vals.items()]
    if "compensation" not in ds.dims:
        comp = attrs.get("compensation", "none")
        parts.append(compensation_words(comp) if comp in ("none", "optimal") else
                     f"compensation {comp}")
    parts.append(f"criterion {attrs.get('criterion', '')}")
    return ", ".join(parts)


def _edits_words(model, values, neutral, what) -> list[str]:
    """Strength/tightness edits named by whole group where a group shares one value."""
    done, parts = set(), []
    index = {m: i for i, m in enumerate(model.muscles)}
    for group, muscles in model.groups.items():
        vals = {round(float(values[index[m]]), 6) for m in muscles}
        if len(vals) == 1 and (v := vals.pop()) != neutral:
            parts.append(f"{group.replace('_', ' ')} {what} {value_words(v)}")
            done.update(muscles)
    for m, i in index.items():
        if m not in done and values[i] != neutral:
            parts.append(f"{m} {what} {value_words(values[i])}")
    return parts


def model_words(model) -> str:
    """``75 kg, 1.75 m, gluteus medius strength 0.5`` (every edit of the model)."""
    parts = [f"{value_words(model.mass_kg)} kg, {value_words(model.height_m)} m"]
    parts += _edits_words(model, model.strength, 1.0, "strength")
    parts += [p + " deg" for p in _edits_words(model, model.tightness, 0.0, "tight by")]
    if hasattr(model, "slack_shortening"):
        parts += _edits_words(model, model.slack_shortening, 0.0, "slack shortening")
    pm = getattr(getattr(model.params, "compensation", None), "posture_model", None)
    if pm and pm != "tissue":
        parts.append(f"posture model {pm}")
    parts += [f"{k} {value_words(v)}" for k, v in dict(model.tuned).items()]
    if len(parts) == 1:
        parts.append("all muscles healthy")
    return ", ".join(parts)
