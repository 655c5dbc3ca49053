"""The numeric core, checked against numpy on the same numbers."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from viann_sklearn.method.moments import ColumnMoments, RunningMoments
from viann_sklearn.method.scores import normalize_scores, viann_scores


def _accumulate(snapshots):
    moments = RunningMoments()
    for snapshot in snapshots:
        moments.update(torch.as_tensor(snapshot))
    return moments


@pytest.mark.parametrize("shape", [(7,), (5, 3), (4, 2, 3, 3)])
def test_variance_matches_numpy(shape):
    rng = np.random.default_rng(0)
    snapshots = rng.normal(size=(25, *shape))
    moments = _accumulate(snapshots)
    assert moments.count == 25
    np.testing.assert_allclose(moments.mean.numpy(), snapshots.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(moments.variance().numpy(), np.var(snapshots, axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(moments.variance(ddof=0).numpy(), np.var(snapshots, axis=0), rtol=1e-12)


def test_float32_snapshots_accumulate_in_float64():
    rng = np.random.default_rng(1)
    snapshots = rng.normal(size=(50, 6, 4)).astype(np.float32)
    moments = _accumulate(snapshots)
    assert moments.variance().dtype == torch.float64
    # The reference sees exactly the float32 values, widened without rounding.
    expected = np.var(snapshots.astype(np.float64), axis=0, ddof=1)
    np.testing.assert_allclose(moments.variance().numpy(), expected, rtol=1e-12)


def test_long_run_with_large_offset_stays_accurate():
    # Weights that drift by 1e-3 around 1e4 over 20 000 updates: the textbook
    # sum-of-squares formula would lose about 14 of 16 digits here.
    rng = np.random.default_rng(2)
    snapshots = (1e4 + 1e-3 * rng.normal(size=(20_000, 3))).astype(np.float32)
    moments = _accumulate(snapshots)
    expected = np.var(snapshots.astype(np.float64), axis=0, ddof=1)
    np.testing.assert_allclose(moments.variance().numpy(), expected, rtol=1e-6)


def test_update_copies_the_sample():
    weight = torch.ones(3)
    moments = RunningMoments()
    moments.update(weight)
    weight.add_(1.0)  # an optimizer step, in place
    moments.update(weight)
    np.testing.assert_allclose(moments.variance().numpy(), [0.5, 0.5, 0.5])


def test_variance_needs_two_samples():
    moments = RunningMoments()
    with pytest.raises(ValueError, match="needs more than 1 sample"):
        moments.variance()
    moments.update(torch.zeros(2))
    with pytest.raises(ValueError, match="got 1"):
        moments.variance()


def test_shape_change_is_rejected():
    moments = RunningMoments().update(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"shape \(2, 3\), got \(3, 2\)"):
        moments.update(torch.zeros(3, 2))


def test_accepts_numpy_and_moves_device():
    moments = RunningMoments(device="cpu").update(np.arange(3.0)).update(np.arange(3.0) * 2)
    assert moments.to("cpu").mean.device.type == "cpu"
    np.testing.assert_allclose(moments.variance().numpy(), np.var([np.arange(3.0), np.arange(3.0) * 2], axis=0, ddof=1))


def test_linear_scores_sum_over_output_units():
    rng = np.random.default_rng(3)
    variance = rng.random((4, 6))  # nn.Linear(6, 4).weight is (out=4, in=6)
    weight = rng.normal(size=(4, 6))
    scores = viann_scores(torch.as_tensor(variance), torch.as_tensor(weight)).numpy()
    assert scores.shape == (6,)
    np.testing.assert_allclose(scores, np.sum(variance * np.abs(weight), axis=0))


def test_feature_axis_zero_for_embedding_rows():
    rng = np.random.default_rng(4)
    variance, weight = rng.random((10, 3)), rng.normal(size=(10, 3))
    scores = viann_scores(variance, weight, feature_axis=0).numpy()
    np.testing.assert_allclose(scores, np.sum(variance * np.abs(weight), axis=1))


def test_conv_scores_sum_over_kernel_and_output_channels():
    rng = np.random.default_rng(5)
    variance, weight = rng.random((8, 3, 2, 2)), rng.normal(size=(8, 3, 2, 2))
    scores = viann_scores(variance, weight, feature_axis=1).numpy()
    np.testing.assert_allclose(scores, np.sum(variance * np.abs(weight), axis=(0, 2, 3)))


def test_grouped_conv_maps_each_block_to_its_input_channels():
    # Conv2d(in=6, out=4, groups=2): weight (4, 3, k, k); output channels 0-1
    # read input channels 0-2, output channels 2-3 read input channels 3-5.
    rng = np.random.default_rng(6)
    variance, weight = rng.random((4, 3, 2, 2)), rng.normal(size=(4, 3, 2, 2))
    contribution = variance * np.abs(weight)
    expected = np.concatenate([contribution[0:2].sum(axis=(0, 2, 3)), contribution[2:4].sum(axis=(0, 2, 3))])
    np.testing.assert_allclose(viann_scores(variance, weight, groups=2).numpy(), expected)


def test_scores_reject_bad_arguments():
    with pytest.raises(ValueError, match="same shape"):
        viann_scores(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="out of range"):
        viann_scores(np.ones((2, 3)), np.ones((2, 3)), feature_axis=2)
    with pytest.raises(ValueError, match="cannot be split"):
        viann_scores(np.ones((3, 2)), np.ones((3, 2)), groups=2)


def test_normalize_sums_to_one():
    importances = normalize_scores(torch.tensor([1.0, 3.0, 0.0, 4.0]))
    np.testing.assert_allclose(importances.numpy(), [0.125, 0.375, 0.0, 0.5])


def test_normalize_all_zero_is_uniform_with_warning():
    with pytest.warns(UserWarning, match="never changed"):
        importances = normalize_scores(torch.zeros(4))
    np.testing.assert_allclose(importances.numpy(), [0.25] * 4)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_normalize_rejects_non_finite_scores(bad):
    with pytest.raises(ValueError, match="NaN or infinity"):
        normalize_scores(torch.tensor([1.0, bad]))


def test_normalize_rejects_negative_and_empty_scores():
    with pytest.raises(ValueError, match="non-negative"):
        normalize_scores(torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="non-empty 1-d"):
        normalize_scores(torch.zeros(0))


@settings(max_examples=60, deadline=None)
@given(
    snapshots=st.integers(2, 40).flatmap(
        lambda n: arrays(
            dtype=st.sampled_from([np.float32, np.float64]),
            shape=st.tuples(st.just(n), st.integers(1, 5), st.integers(1, 4)),
            elements=st.floats(-1e3, 1e3, allow_nan=False, width=32),
        )
    ),
    offset=st.sampled_from([0.0, 1.0, 1e3]),
)
def test_property_variance_and_scores_match_numpy(snapshots, offset):
    snapshots = snapshots + np.asarray(offset, dtype=snapshots.dtype)
    moments = _accumulate(snapshots)
    reference = np.var(snapshots.astype(np.float64), axis=0, ddof=1)
    variance = moments.variance().numpy()
    scale = max(1.0, float(np.abs(snapshots).max())) ** 2
    np.testing.assert_allclose(variance, reference, rtol=1e-9, atol=1e-12 * scale)
    assert np.all(variance >= 0)

    final = snapshots[-1].astype(np.float64)
    scores = viann_scores(moments.variance(), final).numpy()
    np.testing.assert_allclose(scores, np.sum(reference * np.abs(final), axis=0), rtol=1e-9, atol=1e-12 * scale**1.5)
    if scores.sum() > 0:
        np.testing.assert_allclose(normalize_scores(scores).numpy().sum(), 1.0)


def test_scores_accept_a_weight_that_requires_grad():
    weight = torch.nn.Parameter(torch.ones(2, 3))
    scores = viann_scores(torch.ones(2, 3), weight)
    assert not scores.requires_grad
    np.testing.assert_allclose(scores.numpy(), [2.0, 2.0, 2.0])


def test_copied_moments_are_independent_and_equal():
    moments = _accumulate(np.random.default_rng(2).normal(size=(5, 3, 2)))
    duplicate = moments.copy()
    moments.update(torch.ones(3, 2))
    assert duplicate.count == 5 and moments.count == 6
    np.testing.assert_array_equal(
        duplicate.variance().numpy(), _accumulate(np.random.default_rng(2).normal(size=(5, 3, 2))).variance().numpy()
    )


def test_copy_into_earlier_moments_reuses_their_memory():
    snapshots = np.random.default_rng(3).normal(size=(6, 4, 3))
    moments = _accumulate(snapshots[:2])
    kept = moments.copy()
    buffers = (kept.mean.data_ptr(), kept.m2.data_ptr())
    for snapshot in snapshots[2:]:
        moments.update(torch.as_tensor(snapshot))
    assert moments.copy(into=kept) is kept
    assert (kept.mean.data_ptr(), kept.m2.data_ptr()) == buffers
    assert kept.count == 6
    np.testing.assert_allclose(kept.variance().numpy(), np.var(snapshots, axis=0, ddof=1), rtol=1e-12)
    moments.update(torch.ones(4, 3))  # the copy stays independent
    np.testing.assert_allclose(kept.variance().numpy(), np.var(snapshots, axis=0, ddof=1), rtol=1e-12)


def test_copy_into_moments_of_another_shape_or_empty_ones():
    moments = _accumulate(np.random.default_rng(4).normal(size=(3, 5)))
    other = _accumulate(np.zeros((2, 2)))
    np.testing.assert_array_equal(moments.copy(into=other).variance().numpy(), moments.variance().numpy())
    empty = RunningMoments().copy(into=other)
    assert empty.count == 0 and empty.mean is None and empty.m2 is None


def test_rollback_returns_the_statistics_of_the_checkpoint():
    # The tracker after a rollback to epoch 3 holds what it held after epoch 3:
    # the early-stopping restore depends on it.
    from viann_sklearn.method.tracker import InputWeightVariance

    torch.manual_seed(0)
    layer = torch.nn.Linear(4, 3)
    tracker = InputWeightVariance()
    tracker.begin(layer)
    layer(torch.zeros(1, 4))  # the forward pass tells the tracker which weight to follow
    snapshots = [layer.weight.detach().double().clone()]
    checkpoint = None
    for epoch in range(1, 7):
        with torch.no_grad():
            layer.weight.add_(0.1 * epoch * torch.randn(3, 4))
        snapshots.append(layer.weight.detach().double().clone())
        tracker.after_step()
        tracker.after_epoch()
        if epoch == 3:
            checkpoint = tracker.checkpoint()
    tracker.rollback(checkpoint)
    expected = np.var(np.stack([s.numpy() for s in snapshots[:4]]), axis=0, ddof=1)
    np.testing.assert_allclose(tracker.moments.variance().numpy(), expected, rtol=1e-12)
    assert tracker.epochs == 3 and len(tracker.history) == 3
    # The checkpoint outlives the rollback: training on and rolling back again returns to it.
    tracker.after_step()
    tracker.after_epoch()
    tracker.rollback(checkpoint)
    np.testing.assert_allclose(tracker.moments.variance().numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("slice_rows", [8192, 7])
@pytest.mark.parametrize("bounds", [[0, 100], [0, 1, 2, 50, 100], [0, 33, 33, 90, 100]])
def test_column_moments_merged_over_blocks_match_numpy_on_all_rows(bounds, slice_rows, monkeypatch):
    monkeypatch.setattr(ColumnMoments, "_SLICE_ROWS", slice_rows)  # a block is read in slices of this many rows
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(100, 4)) * [1.0, 1e3, 1e-3, 5.0] + [0.0, 1e6, -2.0, 7.0]
    moments = ColumnMoments()
    for start, end in zip(bounds[:-1], bounds[1:]):
        moments.update(rows[start:end])
    assert moments.weight == 100
    np.testing.assert_allclose(moments.mean, rows.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(moments.variance(), rows.var(axis=0), rtol=1e-10)


def test_weighted_column_moments_match_numpy_and_ignore_zero_weight_blocks(monkeypatch):
    monkeypatch.setattr(ColumnMoments, "_SLICE_ROWS", 4)
    rng = np.random.default_rng(4)
    rows = rng.normal(size=(60, 3)).astype(np.float32) + 1e3
    weights = rng.uniform(0.0, 2.0, size=60)
    weights[20:30] = 0.0  # a block of weight 0 changes nothing
    moments = ColumnMoments()
    for start in range(0, 60, 10):
        moments.update(rows[start : start + 10], weights[start : start + 10])
    wide = rows.astype(np.float64)
    mean = np.average(wide, axis=0, weights=weights)
    np.testing.assert_allclose(moments.weight, weights.sum(), rtol=1e-14)
    np.testing.assert_allclose(moments.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(moments.variance(), np.average((wide - mean) ** 2, axis=0, weights=weights), rtol=1e-9)


def test_column_moments_say_when_there_is_nothing_to_report():
    with pytest.raises(ValueError, match="no rows of positive weight"):
        ColumnMoments().update(np.ones((3, 2)), np.zeros(3)).variance()
    with pytest.raises(ValueError, match="has 2 columns; got moments of 3"):
        ColumnMoments().update(np.ones((3, 2))).update(np.ones((3, 3)))


def test_a_reused_checkpoint_holds_the_latest_statistics_in_the_same_memory():
    from viann_sklearn.method.tracker import InputWeightVariance

    layer = torch.nn.Linear(4, 3)
    tracker = InputWeightVariance(param_name="weight")
    tracker.begin(layer)
    snapshots = [layer.weight.detach().double().clone()]
    checkpoint = None
    for epoch in range(1, 5):
        with torch.no_grad():
            layer.weight.add_(0.1 * epoch)
        snapshots.append(layer.weight.detach().double().clone())
        tracker.after_step()
        tracker.after_epoch()
        reused = tracker.checkpoint(reuse=checkpoint)
        if checkpoint is not None:
            assert reused["moments"].mean.data_ptr() == checkpoint["moments"].mean.data_ptr()
        checkpoint = reused
    with torch.no_grad():
        layer.weight.mul_(3.0)
    tracker.after_step()
    tracker.after_epoch()
    tracker.rollback(checkpoint)
    expected = np.var(np.stack([s.numpy() for s in snapshots]), axis=0, ddof=1)
    np.testing.assert_allclose(tracker.moments.variance().numpy(), expected, rtol=1e-12)
    assert tracker.epochs == 4
