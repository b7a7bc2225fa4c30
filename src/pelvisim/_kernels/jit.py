"""How kernels are compiled and call each other (Numba): :func:`step`, :func:`separate`.

``@step`` is ``@njit(cache=True)`` without the CPython and C wrappers
(``no_cpython_wrapper``, ``no_cfunc_wrapper``; the option Numba's
maintainers point to for functions Python never calls, numba/numba#2078).
Numba builds those wrappers for every compiled function whether Python calls
it or not, and the CPython wrapper of a step unboxes every array of the model,
task and workspace named tuples it takes (about 110 arrays): dropping them
cut the first ``pelvisim.solve``'s compile time from 89 to 61 s
(``benchmarks/compile.py``). A step has no Python entry point: called from
Python it raises (:class:`Step`); tests call one through :func:`from_python`.
"""
import functools
import importlib
import inspect

import llvmlite.binding as ll
from numba import config, njit, types
from numba.core import cgutils
from numba.extending import intrinsic, typeof_impl

_PREFIX = "pelvisim.separate."


class Step:
    """A kernel compiled by :func:`step`: Numba types it as its dispatcher
    (other kernels call it as usual); called from Python it raises instead of
    jumping to the missing wrapper. Attributes are the dispatcher's."""

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


@typeof_impl.register(Step)
def _typeof_step(val, c):
    return types.Dispatcher(val._dispatcher)


def step(fn=None, **options):
    """``@njit(cache=True, **options)`` for a kernel called only from kernels
    (a :class:`Step`)."""
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
    tests). Named parameters, not ``*args``: Numba cannot inline a step
    (``inline="always"``) into a star-argument caller."""
    params = _params(kernel)
    namespace = {"kernel": kernel}
    exec(f"def call({params}):\n    return kernel({params})", namespace)
    return njit(namespace["call"])


def separate(kernel):
    """``kernel`` as a function for other kernels that calls its compiled code
    by address instead of compiling it into the caller.

    Numba links the code of every callee into its caller and optimises and
    compiles the whole again, level after level: a big step called from
    several levels (the recruitment, the posture steps) was compiled once per
    level. Called through ``separate(kernel)(...)``, the caller holds a call
    to an external symbol (``pelvisim.separate.<Numba's mangled name>``)
    registered with LLVM (``llvmlite.binding.add_symbol``) when the caller
    is compiled, and again before a cached caller is loaded (Numba's
    ``reload_init`` hooks of the caller's cache entry, which compile or load
    the callee first). The callee cannot be inlined; exceptions propagate as
    in a plain call. ``kernel`` must have no default or star arguments.
    """
    if config.DISABLE_JIT:
        return kernel
    kernel = _dispatcher(kernel)
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


def _dispatcher(kernel):
    return kernel._dispatcher if isinstance(kernel, Step) else kernel
