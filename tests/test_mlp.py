"""The estimators' network: input standardisation inside the module."""

import pytest
import torch

from viann_sklearn._mlp import MultiLayerPerceptron


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
