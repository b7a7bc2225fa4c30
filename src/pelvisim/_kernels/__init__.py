"""Numba kernels (private). No Python objects, no exceptions: arrays in,
arrays filled, status codes out. Validation happens in the Python API above."""
