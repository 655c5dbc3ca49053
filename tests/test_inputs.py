"""Input handling: sparse rows become CSR tensors, never dense ones (where the device allows)."""

import numpy as np
import pytest
import scipy.sparse
import torch

from viann_sklearn.training.tensors import row_chunks, sparse_rows


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(9, 6))
    dense[rng.random(dense.shape) < 0.6] = 0.0
    return scipy.sparse.csr_matrix(dense)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_rows_hold_the_same_values_in_the_requested_dtype(X, dtype):
    rows = sparse_rows(X, dtype)
    assert rows.layout == torch.sparse_csr and rows.dtype == torch.from_numpy(np.zeros(0, dtype)).dtype
    np.testing.assert_array_equal(rows.to_dense().numpy(), X.toarray().astype(dtype))


def test_sparse_rows_accept_index_arrays_of_two_integer_types(X):
    # scipy may hold int64 row pointers beside int32 column indices; torch wants one type.
    X.indptr = X.indptr.astype(np.int64)
    rows = sparse_rows(X, np.float64)
    assert rows.crow_indices().dtype == rows.col_indices().dtype == torch.int64
    np.testing.assert_array_equal(rows.to_dense().numpy(), X.toarray())


def test_sparse_rows_are_dense_on_a_device_without_sparse_support(X):
    rows = sparse_rows(X, np.float32, device="meta")
    assert rows.layout == torch.strided and rows.device.type == "meta" and rows.shape == X.shape


def test_row_chunks_keep_sparse_rows_sparse_and_cover_every_row(X):
    chunks = list(row_chunks(X, 4, np.float64))
    assert [chunk.shape[0] for chunk in chunks] == [4, 4, 1]
    assert all(chunk.layout == torch.sparse_csr for chunk in chunks)
    np.testing.assert_array_equal(torch.cat([chunk.to_dense() for chunk in chunks]).numpy(), X.toarray())
