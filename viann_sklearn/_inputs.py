"""Input handling: the statistics that standardise inputs inside the network."""

import numpy as np

__all__ = ["column_mean_and_scale"]


def column_mean_and_scale(X, chunk_rows=65536):
    """Mean and standard deviation of each column, in float64, for standardising inside the net.

    Computed over row chunks so that float32 data never gets a float64 copy
    of its own, and huge values cannot overflow in float32. A column with no
    spread gets a scale of 1 (as in StandardScaler): it is only shifted to 0.
    """
    chunks = [X[start : start + chunk_rows] for start in range(0, X.shape[0], chunk_rows)]
    mean = sum(chunk.sum(axis=0, dtype=np.float64) for chunk in chunks) / X.shape[0]
    squares = sum(np.square(chunk - mean).sum(axis=0) for chunk in chunks)
    std = np.sqrt(squares / X.shape[0])
    return mean, np.where(std > 0, std, 1.0)
