"""Reading an OpenSim 4 model file (``.osim``) with :mod:`xml.etree`: bodies, joint
kinematics at the neutral posture, and muscles (used by :mod:`pelvisim.osim`).

Supported: ``Body`` masses and centres of mass; ``CustomJoint`` (SpatialTransform
with Constant, LinearFunction, SimmSpline, NaturalCubicSpline/GCVSpline (evaluated
as SimmSpline), PolynomialFunction, PiecewiseLinear/Constant and
MultiplierFunction), ``PinJoint``, ``UniversalJoint``, ``SliderJoint``,
``BallJoint``, ``WeldJoint``; ``CoordinateCouplerConstraint`` with one
independent coordinate; path points (``PathPoint``, ``ConditionalPathPoint``,
``MovingPathPoint``); ``WrapCylinder`` wrap objects solved at the neutral
posture (other wrap types are counted and dropped).
"""
from __future__ import annotations

import copy
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ParameterError

_SEG_BODIES_THIGH = "femur_r"
_SEG_BODIES_SHANK = "tibia_r"
_SEG_BODIES_TRUNK = "torso"
_ROOT = "pelvis"


# =========================================================================== XML helpers
def _fail(path, key, value, allowed):
    raise ParameterError(f"{path}: {key}: {value!r}: {allowed}")


def _floats(text) -> np.ndarray:
    return np.array([float(t) for t in (text or "").split()], dtype=float)


def _last(path_text: str | None) -> str:
    return (path_text or "").strip().rstrip("/").split("/")[-1]


def _rot_axis(axis, angle) -> np.ndarray:
    a = np.asarray(axis, float)
    n = np.linalg.norm(a)
    if n == 0.0 or angle == 0.0:
        return np.eye(3)
    x, y, z = a / n
    c, s = math.cos(angle), math.sin(angle)
    C = 1.0 - c
    return np.array([[c + x * x * C, x * y * C - z * s, x * z * C + y * s],
                     [y * x * C + z * s, c + y * y * C, y * z * C - x * s],
                     [z * x * C - y * s, z * y * C + x * s, c + z * z * C]])


def _euler_xyz(angles) -> np.ndarray:
    """OpenSim frame orientation: body-fixed X-Y-Z rotation [rad]."""
    a, b, c = angles
    return _rot_axis((1, 0, 0), a) @ _rot_axis((0, 1, 0), b) @ _rot_axis((0, 0, 1), c)


def simm_spline(x, y):
    """OpenSim SimmSpline: cubic spline whose end conditions match the third
    derivatives of the cubics through the first and last four points (Forsythe,
    Malcolm & Moler 1977), extrapolated linearly with the end slopes."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(x)
    if n < 2:
        return lambda v: float(y[0]) if n else 0.0
    b, c, d = np.zeros(n), np.zeros(n), np.zeros(n)
    if n == 2:
        b[:] = (y[1] - y[0]) / (x[1] - x[0])
    else:
        nm1 = n - 1
        d[0] = x[1] - x[0]
        c[1] = (y[1] - y[0]) / d[0]
        for i in range(1, nm1):
            d[i] = x[i + 1] - x[i]
            b[i] = 2.0 * (d[i - 1] + d[i])
            c[i + 1] = (y[i + 1] - y[i]) / d[i]
            c[i] = c[i + 1] - c[i]
        b[0], b[nm1] = -d[0], -d[n - 2]
        c[0] = c[nm1] = 0.0
        if n > 3:
            c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
            c[nm1] = c[n - 2] / (x[nm1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
            c[0] = c[0] * d[0] ** 2 / (x[3] - x[0])
            c[nm1] = -c[nm1] * d[n - 2] ** 2 / (x[nm1] - x[n - 4])
        for i in range(1, n):
            t = d[i - 1] / b[i - 1]
            b[i] -= t * d[i - 1]
            c[i] -= t * c[i - 1]
        c[nm1] /= b[nm1]
        for i in range(n - 2, -1, -1):
            c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
        b[nm1] = (y[nm1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[nm1])
        for i in range(nm1):
            b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
            d[i] = (c[i + 1] - c[i]) / d[i]
            c[i] *= 3.0
        c[nm1] *= 3.0
        d[nm1] = d[n - 2]

    def f(v):
        v = float(v)
        if v < x[0]:
            return float(y[0] + (v - x[0]) * b[0])
        if v > x[-1]:
            return float(y[-1] + (v - x[-1]) * b[-1])
        k = min(int(np.searchsorted(x, v, side="right")) - 1, n - 1)
        dx = v - x[k]
        return float(y[k] + dx * (b[k] + dx * (c[k] + dx * d[k])))
    return f


def _function(elem, where):
    """An OpenSim Function element (or a property holding one) -> callable of one value."""
    if elem is None:
        return lambda v: 0.0
    kids = [k for k in elem if k.tag not in ("coordinates", "axis")]
    tag = elem.tag
    if tag not in ("Constant", "LinearFunction", "SimmSpline", "NaturalCubicSpline", "GCVSpline",
                   "PolynomialFunction", "PiecewiseLinearFunction", "PiecewiseConstantFunction",
                   "MultiplierFunction"):
        inner = [k for k in kids if k.tag not in ("value",)]
        if not inner:
            return lambda v: 0.0
        return _function(inner[0], where)
    if tag == "Constant":
        value = float(elem.findtext("value", "0"))
        return lambda v: value
    if tag == "LinearFunction":
        slope, offset = _floats(elem.findtext("coefficients", "1 0"))[:2]
        return lambda v: slope * v + offset
    if tag == "PolynomialFunction":  # coefficients from the highest power down
        coef = _floats(elem.findtext("coefficients"))
        return lambda v: float(np.polyval(coef, v))
    if tag == "MultiplierFunction":
        scale = float(elem.findtext("scale", "1"))
        inner = _function(elem.find("function"), where)
        return lambda v: scale * inner(v)
    x, y = _floats(elem.findtext("x")), _floats(elem.findtext("y"))
    if len(x) != len(y) or len(x) == 0:
        _fail(where, tag, f"{len(x)} x / {len(y)} y values", "expected as many x as y values")
    if tag in ("PiecewiseLinearFunction",):
        return lambda v: float(np.interp(v, x, y))
    if tag == "PiecewiseConstantFunction":
        return lambda v: float(y[max(0, int(np.searchsorted(x, v, side="right")) - 1)])
    # SimmSpline, NaturalCubicSpline, GCVSpline: evaluated as SimmSpline (exact at the knots)
    return simm_spline(x, y)


# =========================================================================== the model
@dataclass
class _Muscle:
    name: str
    fmax: float
    lopt: float
    lts: float
    pennation: float  # [rad]
    points: list      # (body, xyz ndarray) after conditional / moving points
    dropped: int      # conditional points dropped at the neutral posture
    moving: int       # moving points evaluated at the neutral posture
    wraps: int        # wrap objects of the path
    wrapped: int      # cylinder wraps active at the neutral posture (turned into via points)
    unsupported: int  # wrap objects of other types (dropped)


class OsimModel:
    """Bodies, joints and muscles of an OpenSim 4 model at the neutral posture."""

    def __init__(self, path: Path):
        self.path = path
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            _fail(path, "<xml>", str(exc), "expected a well-formed OpenSim .osim XML file")
        except OSError as exc:
            _fail(path, "<file>", str(path), f"cannot read ({exc.strerror})")
        model = root.find("Model")
        if model is None:
            _fail(path, "OpenSimDocument/Model", None, "expected an OpenSim model file with a <Model> element")
        version = int(root.get("Version", "0") or 0)
        if version < 40000:
            _fail(path, "OpenSimDocument.Version", root.get("Version"),
                  "expected an OpenSim 4 model (Version >= 40000); open and save it in OpenSim 4 first")
        self.name = model.get("name", path.stem)
        self.bodies = {}
        for b in model.iterfind("BodySet/objects/Body"):
            com = _floats(b.findtext("mass_center"))
            self.bodies[b.get("name")] = (float(b.findtext("mass", "0")), com if com.size == 3 else np.zeros(3))
        for need in (_ROOT, _SEG_BODIES_THIGH, _SEG_BODIES_SHANK, _SEG_BODIES_TRUNK):
            if need not in self.bodies:
                _fail(path, "BodySet", need, "missing body; expected gait2392/gait2354 or Rajagopal body names "
                      "(pelvis, femur_r, tibia_r, torso)")
        self._model = model
        self._read_joints(model)
        self._pose()
        self._read_wraps()
        self.muscles = {}
        self._muscle_elems = {}
        self.left_muscles = 0
        for m in model.iterfind("ForceSet/objects/*"):
            gp = m.find("GeometryPath")
            if gp is None or m.find("max_isometric_force") is None:
                continue
            name = m.get("name")
            if name.endswith("_l"):
                self.left_muscles += 1
                continue
            self._muscle_elems[name] = m
            self.muscles[name] = self._muscle(m, gp)

    def posed(self, values: dict, muscles) -> "OsimModel":
        """A copy at another posture: ``values`` coordinate -> value (others neutral,
        coupled ones follow), with the named muscles' paths re-evaluated there."""
        new = copy.copy(self)
        new.coords = dict(self.coords)
        new.coords.update(values)
        for dep, ind, fn in self._coupled:
            new.coords[dep] = fn(new.coords[ind])
        new._pose()
        new._read_wraps()
        new.muscles = {n: new._muscle(self._muscle_elems[n], self._muscle_elems[n].find("GeometryPath"))
                       for n in muscles}
        return new

    def length(self, name: str) -> float:
        """Path length [m] of a muscle at this object's posture."""
        pts = [self.in_pelvis(b, xyz) for b, xyz in self.muscles[name].points]
        return float(sum(np.linalg.norm(b - a) for a, b in zip(pts[:-1], pts[1:])))

    def _read_wraps(self):
        model = self._model
        self.wrap_objects = {}
        for b in model.iterfind("BodySet/objects/Body"):
            if b.get("name") not in self.pose:
                continue
            R_b, _ = self.pose[b.get("name")]
            for w in b.iterfind("WrapObjectSet/objects/*"):
                self.wrap_objects[w.get("name")] = dict(
                    type=w.tag, body=b.get("name"),
                    R=R_b @ _euler_xyz(_floats(w.findtext("xyz_body_rotation", "0 0 0"))),
                    o=self.in_pelvis(b.get("name"), _floats(w.findtext("translation", "0 0 0"))),
                    radius=float(w.findtext("radius", "0") or 0.0),
                    length=float(w.findtext("length", "inf") or "inf"),
                    quadrant=(w.findtext("quadrant") or "all").strip())

    # ------------------------------------------------------------ joints
    def _read_joints(self, model):
        self.coords = {}       # name -> neutral value [rad or m]
        self.ranges = {}       # name -> (lower, upper) from the file
        self.joints = []
        coupled = []
        for j in model.find("JointSet/objects") if model.find("JointSet/objects") is not None else []:
            frames = {}
            for f in j.iterfind("frames/PhysicalOffsetFrame"):
                frames[f.get("name")] = (_last(f.findtext("socket_parent")),
                                         _euler_xyz(_floats(f.findtext("orientation", "0 0 0"))),
                                         _floats(f.findtext("translation", "0 0 0")))

            def frame(sock):
                n = _last(j.findtext(sock))
                if n in frames:
                    return frames[n]
                return (n, np.eye(3), np.zeros(3))
            parent, child = frame("socket_parent_frame"), frame("socket_child_frame")
            names = [c.get("name") for c in j.iterfind("coordinates/Coordinate")]
            for c in j.iterfind("coordinates/Coordinate"):
                self.coords[c.get("name")] = float(c.findtext("default_value", "0"))
                self.ranges[c.get("name")] = tuple(_floats(c.findtext("range", "0 0"))[:2])
            self.joints.append(dict(name=j.get("name"), type=j.tag, parent=parent, child=child,
                                    coords=names, elem=j))
        legs = {_ROOT, _SEG_BODIES_TRUNK}
        # neutral posture: every coordinate of the pelvis, legs and back at 0; the rest
        # (arms) at their default values; coupled coordinates follow their function
        for jd in self.joints:
            if jd["parent"][0] != "ground" and (jd["parent"][0] in legs or _leg_body(jd["parent"][0])):
                for c in jd["coords"]:
                    self.coords[c] = 0.0
        for c in model.iterfind("ConstraintSet/objects/CoordinateCouplerConstraint"):
            dep = (c.findtext("dependent_coordinate_name") or "").strip()
            ind = (c.findtext("independent_coordinate_names") or "").split()
            fn = _function(c.find("coupled_coordinates_function"), self.path)
            if dep in self.coords and len(ind) == 1 and ind[0] in self.coords:
                coupled.append((dep, ind[0], fn))
        for dep, ind, fn in coupled:
            self.coords[dep] = fn(self.coords[ind])
        self._coupled = coupled

    def _joint_transform(self, jd):
        """(R, p) of the child frame in the parent frame at the neutral posture."""
        j, kind = jd["elem"], jd["type"]
        q = [self.coords.get(c, 0.0) for c in jd["coords"]]
        if kind == "CustomJoint":
            R, p = np.eye(3), np.zeros(3)
            for ta in j.iterfind("SpatialTransform/TransformAxis"):
                names = (ta.findtext("coordinates") or "").split()
                v = self.coords.get(names[0], 0.0) if names else 0.0
                func = next((k for k in ta if k.tag not in ("coordinates", "axis")), None)
                fn = _function(func, self.path)
                axis = _floats(ta.findtext("axis", "0 0 0"))
                if ta.get("name", "").startswith("rotation"):
                    R = R @ _rot_axis(axis, fn(v))
                else:
                    p = p + fn(v) * axis / max(np.linalg.norm(axis), 1e-12)
            return R, p
        if kind == "PinJoint":
            return _rot_axis((0, 0, 1), q[0] if q else 0.0), np.zeros(3)
        if kind == "UniversalJoint":
            return _rot_axis((1, 0, 0), q[0]) @ _rot_axis((0, 1, 0), q[1]), np.zeros(3)
        if kind == "SliderJoint":
            return np.eye(3), np.array([q[0] if q else 0.0, 0.0, 0.0])
        if kind == "BallJoint" and len(q) == 3:
            return _euler_xyz(q), np.zeros(3)
        return np.eye(3), np.zeros(3)  # WeldJoint; others at zero

    def _pose(self):
        """Pose (R, p) of every body in the pelvis frame, and joint centres."""
        self.pose = {_ROOT: (np.eye(3), np.zeros(3))}
        self.centre = {}   # child body -> child-frame origin in the parent body frame
        self.parent = {}
        pending = [jd for jd in self.joints if jd["parent"][0] != "ground"]
        for _ in range(len(pending) + 1):
            left = []
            for jd in pending:
                (a, R_ap, p_ap), (b, R_bc, p_bc) = jd["parent"], jd["child"]
                if a not in self.pose:
                    left.append(jd)
                    continue
                R_pc, p_pc = self._joint_transform(jd)
                R_a, p_a = self.pose[a]
                R_ab = R_ap @ R_pc @ R_bc.T
                p_ab = p_ap + R_ap @ (p_pc - R_pc @ R_bc.T @ p_bc)
                self.pose[b] = (R_a @ R_ab, p_a + R_a @ p_ab)
                self.centre[b] = p_ap + R_ap @ p_pc
                self.parent[b] = (a, jd)
            if not left:
                break
            pending = left

    def in_pelvis(self, body, xyz) -> np.ndarray:
        R, p = self.pose[body]
        return p + R @ np.asarray(xyz, float)

    # ------------------------------------------------------------ muscles
    def _muscle(self, m, gp) -> _Muscle:
        where = f"{self.path}: ForceSet/{m.get('name')}"
        pts, dropped, moving = [], 0, 0
        for p in gp.iterfind("PathPointSet/objects/*"):
            body = _last(p.findtext("socket_parent_frame") or p.findtext("body"))
            if p.tag == "ConditionalPathPoint":
                coord = _last(p.findtext("socket_coordinate") or p.findtext("coordinate"))
                lo, hi = _floats(p.findtext("range"))[:2]
                v = self.coords.get(coord, 0.0)
                if not lo - 1e-12 <= v <= hi + 1e-12:
                    dropped += 1
                    continue
                xyz = _floats(p.findtext("location"))
            elif p.tag == "MovingPathPoint":
                moving += 1
                xyz = np.zeros(3)
                for k, ax in enumerate("xyz"):
                    coord = _last(p.findtext(f"socket_{ax}_coordinate") or p.findtext(f"{ax}_coordinate"))
                    prop = p.find(f"{ax}_location")
                    fn = _function(prop[0] if prop is not None and len(prop) else None, where)
                    xyz[k] = fn(self.coords.get(coord, 0.0))
            else:
                xyz = _floats(p.findtext("location"))
            if xyz.size != 3:
                _fail(where, p.get("name"), p.findtext("location"), "expected a location of 3 numbers")
            if body not in self.pose:
                _fail(where, p.get("name"), body, "path point on a body that is not connected to the pelvis")
            pts.append((body, xyz))
        wraps = list(gp.iterfind("PathWrapSet/objects/*"))
        wrapped = unsupported = 0
        for pw in wraps:
            w = self.wrap_objects.get((pw.findtext("wrap_object") or "").strip())
            if w is None or w["type"] != "WrapCylinder" or w["radius"] <= 0:
                unsupported += 1
                continue
            rng = [int(v) for v in _floats(pw.findtext("range", "-1 -1"))[:2]]
            pts, did = self._wrap_cylinder(pts, w, rng)
            wrapped += did
        return _Muscle(m.get("name"), float(m.findtext("max_isometric_force")),
                       float(m.findtext("optimal_fiber_length", "0")), float(m.findtext("tendon_slack_length", "0")),
                       float(m.findtext("pennation_angle_at_optimal", m.findtext("pennation_angle", "0")) or 0.0),
                       pts, dropped, moving, len(wraps), wrapped, unsupported)

    def _wrap_cylinder(self, pts, w, rng):
        """Wrap the path over cylinder ``w`` at the neutral posture: the tangent and
        arc points of the first path segment it wraps become via points fixed on
        the cylinder's body. Returns (points, 1 if it wrapped else 0)."""
        R, o = w["R"], w["o"]
        local = [R.T @ (self.in_pelvis(b, xyz) - o) for b, xyz in pts]
        first, last = (0, len(pts) - 1) if rng[0] < 1 or rng[1] < 1 else (rng[0] - 1, min(rng[1], len(pts)) - 1)
        for k in range(first, last):
            arc = _cylinder_wrap(local[k], local[k + 1], w["radius"], w["quadrant"])
            if arc is None or max(abs(q[2]) for q in arc) > w["length"] / 2.0:
                continue  # clears the cylinder, or touches it beyond its ends
            R_b, p_b = self.pose[w["body"]]
            via = [(w["body"], R_b.T @ (o + R @ q - p_b)) for q in arc]
            return pts[:k + 1] + via + pts[k + 1:], 1
        return pts, 0


def _cylinder_wrap(P, S, r, quadrant, step=math.radians(20.0)):
    """Points of the shortest path from P to S around the cylinder of radius ``r``
    about the local z axis (its cross-section in xy, a helix along z), or None when
    the straight line does not wrap: it clears the cylinder (on the allowed side
    for a constrained ``quadrant`` "x", "-x", "y", "-y") or an end point is inside.
    Returns the tangent points and arc points at most ``step`` apart [local m]."""
    p, s = np.asarray(P[:2], float), np.asarray(S[:2], float)
    a, b = np.linalg.norm(p), np.linalg.norm(s)
    if a <= r or b <= r:
        return None
    d = s - p
    t = min(1.0, max(0.0, -float(p @ d) / float(d @ d))) if d @ d > 0 else 0.0
    c = p + t * d
    axis = {"x": (0, 1.0), "-x": (0, -1.0), "y": (1, 1.0), "-y": (1, -1.0)}.get(quadrant.replace("+", ""))
    if np.linalg.norm(c) >= r and (axis is None or c[axis[0]] * axis[1] >= 0.0):
        return None
    th_p, th_s = math.atan2(p[1], p[0]), math.atan2(s[1], s[0])
    al_p, al_s = math.acos(r / a), math.acos(r / b)
    best = None
    for tp in (th_p + al_p, th_p - al_p):
        T1 = r * np.array([math.cos(tp), math.sin(tp)])
        for ts in (th_s + al_s, th_s - al_s):
            T2 = r * np.array([math.cos(ts), math.sin(ts)])
            for turn in (1.0, -1.0):
                tan1 = turn * np.array([-math.sin(tp), math.cos(tp)])
                tan2 = turn * np.array([-math.sin(ts), math.cos(ts)])
                if (T1 - p) @ tan1 < 0.99 * np.linalg.norm(T1 - p) or (s - T2) @ tan2 < 0.99 * np.linalg.norm(s - T2):
                    continue
                arc = ((ts - tp) * turn) % (2.0 * math.pi)
                length = np.linalg.norm(T1 - p) + r * arc + np.linalg.norm(s - T2)
                mid = tp + turn * arc / 2.0
                side_ok = axis is None or (math.cos(mid), math.sin(mid))[axis[0]] * axis[1] > 0.0
                key = (not side_ok, length)
                if best is None or key < best[0]:
                    best = (key, tp, turn, arc, np.linalg.norm(T1 - p), length)
    if best is None:
        return None
    _, tp, turn, arc, l1, total = best
    n = max(1, math.ceil(arc / step))
    out = []
    for i in range(n + 1):
        ang = tp + turn * arc * i / n
        u = (l1 + r * arc * i / n) / total
        out.append(np.array([r * math.cos(ang), r * math.sin(ang), P[2] + (S[2] - P[2]) * u]))
    return out


def _leg_body(name: str) -> bool:
    return any(name.startswith(p) for p in ("femur", "tibia", "patella", "talus", "calcn", "toes"))
