"""The estimators' network: input standardisation inside the module."""

import pytest
import torch

from viann_sklearn.training.mlp import MultiLayerPerceptron


def test_input_standardization_needs_both_shift_and_scale():
    with pytest.raises(ValueError, match="pass both or neither"):
        MultiLayerPerceptron(3, [4], 2, input_shift=torch.zeros(3))


def test_standardized_module_equals_the_plain_one_on_standardized_inputs():
    torch.manual_seed(0)
    X = torch.randn(10, 3, dtype=torch.float64) * torch.tensor([1e3, 1.0, 1e-3], dtype=torch.float64) + 5.0
    shift, scale = X.mean(dim=0), X.std(dim=0)
    standardized = MultiLayerPerceptron(3, [4], 2, input_shift=shift, input_scale=scale).double()
    plain = MultiLayerPerceptron(3, [4], 2).double()
    plain.load_state_dict(standardized.state_dict(), strict=False)
    torch.testing.assert_close(standardized(X), plain((X - shift) / scale))
    assert set(dict(standardized.named_buffers())) == {"input_shift", "input_scale"}


def _sparse_batch(dtype=torch.float64):
    """Rows with mostly zeros, one of them empty, as a dense tensor and as a CSR tensor."""
    generator = torch.Generator().manual_seed(1)
    X = torch.randn(7, 5, generator=generator, dtype=dtype)
    X[torch.rand(X.shape, generator=generator) < 0.6] = 0.0
    X[2] = 0.0
    return X, X.to_sparse_csr()


@pytest.mark.parametrize("hidden_layer_sizes", [[4], [4, 3], []])
@pytest.mark.parametrize("scaled", [False, True])
def test_sparse_rows_give_the_outputs_and_gradients_of_dense_ones(hidden_layer_sizes, scaled):
    X, X_sparse = _sparse_batch()
    scale = dict(input_shift=torch.zeros(5), input_scale=torch.tensor([0.5, 2.0, 1.0, 3.0, 0.1])) if scaled else {}
    torch.manual_seed(0)
    module = MultiLayerPerceptron(5, hidden_layer_sizes, 2, activation="tanh", **scale).double()
    dense_outputs = module(X)
    dense_outputs.square().sum().backward()
    dense_gradients = [parameter.grad.clone() for parameter in module.parameters()]
    module.zero_grad()
    sparse_outputs = module(X_sparse)
    sparse_outputs.square().sum().backward()
    torch.testing.assert_close(sparse_outputs, dense_outputs, rtol=1e-12, atol=1e-14)
    for sparse_gradient, dense_gradient in zip([p.grad for p in module.parameters()], dense_gradients):
        torch.testing.assert_close(sparse_gradient, dense_gradient, rtol=1e-12, atol=1e-14)


def test_sparse_rows_under_centring_standardization_equal_dense_rows():
    # A net standardised on dense data centres its inputs; sparse rows given
    # to it later must be centred too (they are densified for that).
    X, X_sparse = _sparse_batch()
    module = MultiLayerPerceptron(5, [4], 2, input_shift=torch.full((5,), 0.3), input_scale=torch.ones(5)).double()
    torch.testing.assert_close(module(X_sparse), module(X), rtol=0, atol=0)


def test_sparse_rows_with_no_stored_value_give_the_bias_path():
    X = torch.zeros(3, 5, dtype=torch.float64)
    module = MultiLayerPerceptron(5, [4], 2).double()
    torch.testing.assert_close(module(X.to_sparse_csr()), module(X), rtol=0, atol=0)


def test_sparse_rows_product_passes_gradcheck():
    # Against finite differences, for the weight and the stored values alike
    # (values carry a gradient when, say, a scale before them is learnt).
    from viann_sklearn.training.mlp import _SparseRowsProduct

    _, X_sparse = _sparse_batch()
    weight = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    values = X_sparse.values().clone().requires_grad_()
    torch.autograd.gradcheck(
        lambda weight, values: _SparseRowsProduct.apply(
            weight, X_sparse.crow_indices(), X_sparse.col_indices(), values
        ),
        (weight, values),
    )
