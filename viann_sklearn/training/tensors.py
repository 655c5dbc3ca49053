"""Rows as torch tensors: dense arrays shared without a copy, sparse rows as CSR tensors, never densified."""

import warnings

import numpy as np
import scipy.sparse as sp
import torch

__all__ = ["SPARSE_DEVICE_TYPES", "row_chunks", "sparse_rows", "to_tensor"]


#: Devices on which the network multiplies sparse rows without densifying
#: them (torch's CSR tensors and ``embedding_bag``); elsewhere (Apple MPS)
#: sparse rows are densified one batch at a time.
SPARSE_DEVICE_TYPES = ("cpu", "cuda")


# torch warns once per process that CSR tensors are "in beta". Every batch of
# a sparse fit is one, by our choice and not the user's: take the one warning
# here, where nobody sees it.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    torch.sparse_csr_tensor(torch.zeros(1, dtype=torch.int64), torch.zeros(0, dtype=torch.int64), torch.zeros(0))


def to_tensor(array, dtype):
    """One array in ``dtype`` that torch may share without copying.

    Read-only inputs (memmaps) are copied because torch wants writable memory.
    """
    return torch.from_numpy(np.require(array, dtype=dtype, requirements=["C", "W"]))


def sparse_rows(X, dtype, device=None):
    """The rows of a scipy CSR matrix as a torch CSR tensor of ``dtype`` on ``device``.

    No row is densified: the network multiplies CSR tensors by its first
    layer directly (see ``MultiLayerPerceptron``). On a device without
    that support (see ``SPARSE_DEVICE_TYPES``), the rows come back dense.

    Parameters
    ----------
    X : scipy.sparse CSR matrix or array of shape (n_rows, n_features)
    dtype : numpy dtype
        The dtype of the values.
    device : torch.device or str, default=None
        Where the tensor goes; ``None`` is the CPU.

    Returns
    -------
    rows : torch.Tensor of shape (n_rows, n_features)
        With layout ``torch.sparse_csr``, or strided (dense).
    """
    device = torch.device("cpu" if device is None else device)
    if device.type not in SPARSE_DEVICE_TYPES:
        return to_tensor(X.toarray(), dtype).to(device)
    X = sp.csr_matrix(X)  # a no-op for a CSR matrix; a CSR array's row slices are CSR arrays
    # torch wants the same integer type for both index arrays; scipy can mix them.
    index_dtype = np.int64 if X.indptr.dtype == np.int64 or X.indices.dtype == np.int64 else np.int32
    return torch.sparse_csr_tensor(
        to_tensor(X.indptr, index_dtype),
        to_tensor(X.indices, index_dtype),
        to_tensor(X.data, dtype),
        size=X.shape,
        check_invariants=False,  # scipy's CSR already holds them
    ).to(device)


def row_chunks(X, chunk_rows, dtype, device=None):
    """Tensors of at most ``chunk_rows`` rows of X (a tensor, an array, or a sparse matrix).

    Sparse rows stay sparse (see :func:`sparse_rows`).
    """
    for start in range(0, X.shape[0], chunk_rows):
        chunk = X[start : start + chunk_rows]
        if sp.issparse(chunk):
            yield sparse_rows(chunk, dtype, device)
        else:
            yield chunk if torch.is_tensor(chunk) else to_tensor(chunk, dtype)
