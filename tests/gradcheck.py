"""The finite-difference reference every gradient test compares against."""
import numpy as np


def numgrad(f, a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar f() with respect to every entry of a (changed in place, restored)."""
    g = np.zeros_like(a)
    for k in np.ndindex(a.shape):
        old = a[k]
        a[k] = old + eps
        up = f()
        a[k] = old - eps
        down = f()
        a[k] = old
        g[k] = (up - down) / (2 * eps)
    return g
