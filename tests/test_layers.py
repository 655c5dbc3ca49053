"""Finding the input weight of a torch model and its feature axis."""

import pytest
import torch
from torch import nn

from viann_sklearn.method.layers import ForwardOrderProbe, first_input_weight, input_weight_by_name, unwrap_model

from _models import RegisteredBackwards


def _probe_first(model, X):
    found = []
    probe = ForwardOrderProbe(model, found.append)
    model(X)
    model(X)
    assert not probe.waiting
    assert len(found) == 1, "the probe must fire once and remove its hooks"
    return found[0]


def test_probe_follows_forward_order_not_registration_order():
    model = RegisteredBackwards(n_features=5, n_hidden=8)
    assert first_input_weight(model).name == "head.weight"
    found = _probe_first(model, torch.randn(3, 5))
    assert found.name == "body.weight"
    assert found.feature_axis == 1
    assert found.read() is model.body.weight


def test_probe_looks_through_normalisation_layers():
    model = nn.Sequential(nn.BatchNorm1d(4), nn.Linear(4, 3))
    found = _probe_first(model, torch.randn(6, 4))
    assert found.name == "1.weight"


def test_probe_skips_frozen_layers():
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    model[0].weight.requires_grad_(False)
    model[0].bias.requires_grad_(False)
    assert _probe_first(model, torch.randn(2, 4)).name == "2.weight"


def test_probe_needs_a_weight():
    with pytest.raises(ValueError, match="no trainable weight"):
        ForwardOrderProbe(nn.ReLU(), lambda found: None)


@pytest.mark.parametrize(
    "module, name, axis, groups",
    [
        (nn.Linear(6, 3), "weight", 1, 1),
        (nn.Conv2d(4, 6, 3), "weight", 1, 1),
        (nn.Conv1d(4, 6, 3, groups=2), "weight", 1, 2),
        (nn.ConvTranspose2d(4, 6, 3), "weight", 0, 1),
        (nn.Embedding(10, 3), "weight", 0, 1),
        (nn.LSTM(5, 7), "weight_ih_l0", 1, 1),
    ],
)
def test_feature_axis_follows_layer_type(module, name, axis, groups):
    found = input_weight_by_name(module, name)
    assert (found.feature_axis, found.groups) == (axis, groups)


def test_feature_axis_override_and_its_bounds():
    assert input_weight_by_name(nn.Linear(6, 3), "weight", feature_axis=0).feature_axis == 0
    with pytest.raises(ValueError, match="out of range"):
        input_weight_by_name(nn.Linear(6, 3), "weight", feature_axis=2)


def test_unknown_parameter_name_lists_the_real_ones():
    with pytest.raises(ValueError, match=r"'fc.weight'.*\['0.bias', '0.weight'\]"):
        input_weight_by_name(nn.Sequential(nn.Linear(2, 2)), "fc.weight")


def test_unwrap_data_parallel_and_compile():
    inner = nn.Linear(3, 2)
    assert unwrap_model(nn.DataParallel(inner)) is inner
    assert unwrap_model(torch.compile(nn.DataParallel(inner))) is inner
    assert input_weight_by_name(nn.DataParallel(inner), "weight").read() is inner.weight
