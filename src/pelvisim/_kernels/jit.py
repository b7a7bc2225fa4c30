"""How kernels are compiled and call each other (Numba): :func:`step`,
:func:`separate`, :func:`ref`.

``@step`` is ``@njit(cache=True)`` for a kernel that only kernels call:

* without the CPython and C wrappers (``no_cpython_wrapper``,
  ``no_cfunc_wrapper``; the option Numba's maintainers point to for functions
  Python never calls, numba/numba#2078). Numba builds them for every compiled
  function, and a step's CPython wrapper unboxes every array of the model,
  task and workspace it takes. A step has no Python entry point: called from
  Python it raises (:class:`Step`); tests call one through :func:`from_python`;
* compiled on its own and called by address (:func:`separate`), never
  compiled again into its callers. Numba links the code of every callee into
  its caller and optimises and compiles the whole again, level after level;
  called by address, each step is compiled once;
* taking the model, task and workspace named tuples by reference (:func:`ref`,
  one pointer). Numba passes a named tuple by value, flattened into one
  argument per field of each of its arrays (some 1,500 for the three), and
  builds that argument list at every call and in every step's prologue.

The last two cut the first ``pelvisim.solve``'s compile time from 33 to 25 s
(commit 2ddb0f5; 20 s once the workspace was a step too) and made the
pipeline 1.4x and the recruitment kernel 1.3x faster (``benchmarks/compile.py``,
``sweep.py``, ``recruitment.py``). Small helpers called in inner loops stay
plain ``@njit(inline="always")`` functions: called by address, the pieces of
the recruitment's evaluation and factorisation cost 10 %.
"""
import functools
import importlib
import inspect

import llvmlite.binding as ll
from numba import config, njit, types
from numba.core import cgutils
from numba.core.datamodel import models, register_default
from numba.core.imputils import impl_ret_borrowed, lower_getattr_generic
from numba.core.typing.templates import AttributeTemplate, builtin_registry, infer_getattr
from numba.extending import intrinsic, typeof_impl

_PREFIX = "pelvisim.separate."


class Step:
    """A kernel compiled by :func:`step`: in a kernel, a call by address
    (:func:`separate`); called from Python it raises instead of jumping to the
    missing wrapper. Attributes are the dispatcher's."""

    def __init__(self, dispatcher):
        self.__dict__["_dispatcher"] = dispatcher
        self.__dict__["__wrapped__"] = dispatcher.py_func
        self.__dict__["__doc__"] = dispatcher.py_func.__doc__

    def __getattr__(self, name):
        return getattr(self._dispatcher, name)

    def __call__(self, *args, **kwargs):
        raise TypeError(f"{self._dispatcher.py_func.__module__}."
                        f"{self._dispatcher.py_func.__qualname__} is a kernel step without a "
                        "Python entry point: call it from a kernel, or through "
                        "pelvisim._kernels.jit.from_python")

    def __repr__(self):
        return f"<step {self._dispatcher.py_func.__qualname__}>"

    def _call_type(self):
        """Numba type of the step in a kernel: its :func:`separate` call."""
        if "_type" not in self.__dict__:
            call = separate(self._dispatcher)
            # the Function type the intrinsic registered for itself
            self.__dict__["_type"] = next(t for v, t in builtin_registry.globals if v is call)
        return self.__dict__["_type"]


@typeof_impl.register(Step)
def _typeof_step(val, c):
    return val._call_type()


def step(fn=None, **options):
    """``@njit(cache=True, **options)`` for a kernel called only from kernels
    (a :class:`Step`). ``inline`` is not an option: a step is called by
    address."""
    if "inline" in options:
        raise TypeError("a step is called by address and never inlined: use @njit(inline=...)")
    options = {"cache": True, "no_cpython_wrapper": True, "no_cfunc_wrapper": True, **options}
    if fn is None:
        return lambda f: step(f, **options)
    if config.DISABLE_JIT:  # plain Python (NUMBA_DISABLE_JIT=1, e.g. to debug)
        return fn
    return Step(njit(**options)(fn))


def _params(kernel):
    """The parameter list of ``kernel``'s Python function, as source text."""
    fn = _dispatcher(kernel)
    return ", ".join(inspect.signature(getattr(fn, "py_func", fn)).parameters)


def from_python(kernel):
    """A Python-callable version of a :func:`step` (a jitted function calling
    it with the same parameters, compiled on first use and not cached; for
    tests); named tuples go in by reference (:func:`ref`), as from a
    kernel."""
    names = [p for p in _params(kernel).split(", ") if p]
    refs = ", ".join(f"_r_{p}" for p in names)
    body = "".join(f"    _r_{p} = ref({p})\n" for p in names)
    body += f"    out = kernel({refs})\n"
    body += "".join(f"    release(_r_{p})\n" for p in names)
    namespace = {"kernel": kernel, "ref": ref, "release": release}
    exec(f"def call({', '.join(names)}):\n{body}    return out", namespace)
    return njit(namespace["call"])


def separate(kernel):
    """``kernel`` as a function for other kernels that calls its compiled code
    by address instead of compiling it into the caller (how kernels call a
    :class:`Step`).

    The caller holds a call to an external symbol (``pelvisim.separate.<Numba's
    mangled name>``) registered with LLVM (``llvmlite.binding.add_symbol``)
    when the caller is compiled, and again before a cached caller is loaded
    (Numba's ``reload_init`` hooks of the caller's cache entry, which compile
    or load the callee first). The callee cannot be inlined; exceptions
    propagate as in a plain call. ``kernel`` must have no default or star
    arguments.
    """
    if config.DISABLE_JIT:
        return kernel
    kernel = _dispatcher(kernel)
    plain = inspect.Parameter.POSITIONAL_OR_KEYWORD
    if any(p.default is not p.empty or p.kind != plain
           for p in inspect.signature(kernel.py_func).parameters.values()):
        raise TypeError(f"{kernel.py_func.__qualname__}: a step called by address takes plain "
                        "parameters (no defaults, no *args or **kwargs)")
    params = _params(kernel)
    namespace = {"_type": lambda typingctx, args: _typed_call(kernel, typingctx, args)}
    exec(f"def call(typingctx, {params}):\n    return _type(typingctx, ({params},))", namespace)
    call = namespace["call"]
    call.__name__ = call.__qualname__ = f"separate_{kernel.py_func.__name__}"
    return intrinsic(call)


def _typed_call(kernel, typingctx, args):
    sig = typingctx.resolve_function_type(types.Dispatcher(kernel), args, {})

    def codegen(context, builder, sig, llargs):
        name = _register(kernel, sig.args)
        fnty = context.call_conv.get_function_type(sig.return_type, sig.args)
        fn = cgutils.get_or_insert_function(builder.module, fnty, name)
        status, res = context.call_conv.call_function(builder, fn, sig.return_type, sig.args,
                                                      llargs)
        with cgutils.if_unlikely(builder, status.is_error):
            context.call_conv.return_status_propagate(builder, status)
        context.active_code_library._reload_init.add(functools.partial(
            _reload, kernel.py_func.__module__, kernel.py_func.__qualname__, tuple(sig.args)))
        return res

    return sig, codegen


def _register(kernel, argtypes):
    """Compile (or load from the cache) ``kernel`` for ``argtypes`` and
    register its native entry point's address; returns the symbol's name."""
    argtypes = tuple(argtypes)
    if argtypes not in kernel.overloads:
        kernel.compile(argtypes)
    cres = kernel.overloads[argtypes]
    name = _PREFIX + cres.fndesc.mangled_name
    address = cres.library.get_pointer_to_function(cres.fndesc.mangled_name)
    if not address:
        raise RuntimeError(f"no native code for {name}")
    ll.add_symbol(name, address)
    return name


def _reload(module, qualname, argtypes):
    """Numba ``reload_init`` hook of a cached caller (picklable by reference)."""
    _register(_dispatcher(getattr(importlib.import_module(module), qualname)), argtypes)


class Ref(types.Type):
    """Numba type of a named tuple passed by reference (:func:`ref`): a
    pointer to the tuple's data, with its fields as read-only attributes."""

    def __init__(self, dtype):
        self.dtype = dtype
        super().__init__(name=f"Ref({dtype})")

    @property
    def key(self):
        return self.dtype


register_default(Ref)(models.PointerModel)


@infer_getattr
class _RefAttributes(AttributeTemplate):
    key = Ref

    def generic_resolve(self, ty, attr):
        if attr in ty.dtype.fields:
            return ty.dtype.types[ty.dtype.fields.index(attr)]


@lower_getattr_generic(Ref)
def _ref_getattr(context, builder, ty, ptr, attr):
    i = ty.dtype.fields.index(attr)
    fty = ty.dtype.types[i]
    val = context.data_model_manager[fty].load_from_data_pointer(
        builder, cgutils.gep_inbounds(builder, ptr, 0, i))
    return impl_ret_borrowed(context, builder, fty, val)


@intrinsic
def ref(typingctx, tup):
    """In a kernel: named tuple ``tup`` by reference (a :class:`Ref`, one
    pointer; anything else is returned as it is). The reference holds the
    tuple's arrays until :func:`release`; it lives in the caller's stack
    frame, so it is passed down to steps, never returned or stored."""
    if not isinstance(tup, types.BaseNamedTuple):
        return tup(tup), lambda context, builder, sig, args: impl_ret_borrowed(
            context, builder, sig.return_type, args[0])

    def codegen(context, builder, sig, args):
        model = context.data_model_manager[sig.args[0]]
        ptr = cgutils.alloca_once(builder, model.get_data_type())
        context.nrt.incref(builder, sig.args[0], args[0])
        builder.store(model.as_data(builder, args[0]), ptr)
        return ptr

    return Ref(tup)(tup), codegen


@intrinsic
def release(typingctx, r):
    """In a kernel: let go of the arrays held by :func:`ref` ``r`` (no-op
    for anything else); ``r`` is not used after."""
    def codegen(context, builder, sig, args):
        if isinstance(sig.args[0], Ref):
            tup = sig.args[0].dtype
            val = context.data_model_manager[tup].load_from_data_pointer(builder, args[0])
            context.nrt.decref(builder, tup, val)
        return context.get_dummy_value()

    return types.none(r), codegen


if config.DISABLE_JIT:  # plain Python (NUMBA_DISABLE_JIT=1): a reference is the tuple itself
    def ref(tup):  # noqa: F811
        return tup

    def release(r):  # noqa: F811
        return None


def _dispatcher(kernel):
    return kernel._dispatcher if isinstance(kernel, Step) else kernel
