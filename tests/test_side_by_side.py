"""Networks trained side by side: the same networks as trained one at a time, and the selector's use of them."""

import math
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

from viann_sklearn import VIANNClassifier, VIANNRegressor, VIANNSelector
from viann_sklearn.method.moments import RunningMoments
from viann_sklearn.method.scores import viann_scores
from viann_sklearn.selection.side_by_side import fit_side_by_side, side_by_side_unsupported
from viann_sklearn.training.side_by_side import SideBySideSettings, train_side_by_side


def reference_training(X, y, settings, seed, validation=None, baseline=None):
    """One network trained the plain way (autograd, torch.optim.SGD), with the stack's stopping rules.

    Returns (scores, n_iter, best validation score or None).
    """
    generator = torch.Generator().manual_seed(seed)
    widths = [X.shape[1], *settings.hidden_layer_sizes, settings.n_outputs]
    layers = [torch.nn.Linear(n_in, n_out, dtype=X.dtype) for n_in, n_out in zip(widths, widths[1:])]
    with torch.no_grad():
        for layer in layers:
            layer.weight.normal_(0.0, settings.weight_init, generator=generator)
            layer.bias.zero_()

    def forward(rows):
        for index, layer in enumerate(layers):
            rows = layer(rows)
            if index < len(layers) - 1:
                rows = torch.relu(rows)
        return rows

    def loss_of(outputs, targets):
        if settings.loss == "cross_entropy":
            return torch.nn.functional.cross_entropy(outputs, targets)
        return 0.5 * torch.mean((outputs[:, 0] - targets) ** 2)

    optimizer = torch.optim.SGD(
        [
            {"params": [layer.weight for layer in layers], "weight_decay": settings.weight_decay},
            {"params": [layer.bias for layer in layers], "weight_decay": 0.0},
        ],
        lr=settings.learning_rate,
        momentum=settings.momentum,
        nesterov=settings.nesterov,
    )
    moments = RunningMoments().update(layers[0].weight)
    best_score, best_loss, waiting, best, epochs = -math.inf, math.inf, 0, None, 0
    while epochs < settings.max_iter:
        epochs += 1
        total = 0.0
        for start in range(0, len(X), settings.batch_size):
            rows, targets = X[start : start + settings.batch_size], y[start : start + settings.batch_size]
            optimizer.zero_grad()
            loss = loss_of(forward(rows), targets)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(rows)
        moments.update(layers[0].weight)
        if validation is None:
            epoch_loss = total / len(X)
            improved = epoch_loss <= best_loss - settings.tol
            best_loss = min(best_loss, epoch_loss)
        else:
            with torch.no_grad():
                outputs = forward(validation[0])
            score = float((outputs.argmax(dim=1) == validation[1]).double().mean())
            improved = score >= best_score + settings.tol
            if baseline is not None and max(score, best_score) <= baseline:
                improved = True
            if score >= best_score:
                best_score = score
                best = (layers[0].weight.detach().clone(), moments.copy())
        waiting = 0 if improved else waiting + 1
        if waiting > settings.patience:
            break
    weight, final_moments = (layers[0].weight.detach(), moments) if best is None else best
    scores = viann_scores(final_moments.variance(), weight).numpy()
    return scores, epochs, (None if validation is None else best_score)


def regression_data(n_members=3, n_rows=120, n_features=5, seed=0):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n_members, n_rows, n_features, generator=generator, dtype=torch.float64)
    noise = torch.randn(n_members, n_rows, generator=generator, dtype=torch.float64)
    y = torch.sin(2 * X[:, :, 0]) + X[:, :, 1] ** 2 + 0.1 * noise
    return X, y


def test_each_network_is_the_one_trained_alone_with_autograd():
    X, y = regression_data()
    settings = SideBySideSettings(
        hidden_layer_sizes=(8,), n_outputs=1, max_iter=12, batch_size=50, weight_decay=0.01, shuffle=False, patience=100
    )
    results = train_side_by_side(X, y, settings, seeds=[3, 4, 5])
    for member, seed in enumerate([3, 4, 5]):
        scores, n_iter, _ = reference_training(X[member], y[member], settings, seed)
        np.testing.assert_allclose(results[member].scores, scores, rtol=1e-8)
        assert results[member].n_iter == n_iter == 12
        assert not results[member].converged  # it ran out of epochs


def test_early_stopping_restores_each_networks_best_epoch_as_autograd_would():
    generator = torch.Generator().manual_seed(1)
    X = torch.randn(3, 90, 4, generator=generator, dtype=torch.float64)
    y = (X[:, :, 0] + 0.8 * torch.randn(3, 90, generator=generator, dtype=torch.float64) > 0).long()
    X_val = torch.randn(3, 20, 4, generator=generator, dtype=torch.float64)
    y_val = (X_val[:, :, 0] > 0).long()
    settings = SideBySideSettings(
        hidden_layer_sizes=(6,),
        n_outputs=2,
        loss="cross_entropy",
        max_iter=80,
        batch_size=30,
        shuffle=False,
        patience=4,
        learning_rate=0.05,
    )
    baselines = [0.5, 0.55, 0.6]
    results = train_side_by_side(X, y, settings, seeds=[0, 1, 2], validation=(X_val, y_val), baselines=baselines)
    stopped_at = set()
    for member in range(3):
        scores, n_iter, best = reference_training(
            X[member], y[member], settings, member, (X_val[member], y_val[member]), baselines[member]
        )
        np.testing.assert_allclose(results[member].scores, scores, rtol=1e-8)
        assert results[member].n_iter == n_iter
        assert results[member].best_validation_score == best
        assert results[member].baseline_validation_score == baselines[member]
        stopped_at.add(n_iter)
    # The networks left the stack at different epochs: the one that stayed was not disturbed by the others leaving.
    assert len(stopped_at) > 1


def test_a_network_trains_the_same_in_a_stack_as_alone():
    X, y = regression_data(n_members=4, seed=2)
    settings = SideBySideSettings(hidden_layer_sizes=(10, 5), n_outputs=1, max_iter=40, batch_size=32, patience=3)
    together = train_side_by_side(X, y, settings, seeds=[7, 8, 9, 10])
    alone = train_side_by_side(X[2:3], y[2:3], settings, seeds=[9])
    np.testing.assert_allclose(together[2].scores, alone[0].scores, rtol=1e-10)
    assert together[2].n_iter == alone[0].n_iter


def test_training_that_diverges_raises_an_error_that_says_so():
    X, y = regression_data(n_members=2)
    settings = SideBySideSettings(hidden_layer_sizes=(8,), n_outputs=1, max_iter=50, learning_rate=1e6)
    with pytest.raises(ValueError, match="non-finite"):
        train_side_by_side(X, y * 1e6, settings, seeds=[0, 1])


@pytest.mark.parametrize(
    "change, message",
    [({"loss": "poisson"}, "loss must be one of"), ({"activation": "gelu"}, "activation must be one of")],
)
def test_unsupported_settings_are_named(change, message):
    X, y = regression_data(n_members=1)
    settings = SideBySideSettings(hidden_layer_sizes=(4,), n_outputs=1, **change)
    with pytest.raises(ValueError, match=message):
        train_side_by_side(X, y, settings, seeds=[0])


def test_inputs_targets_and_seeds_must_agree():
    X, y = regression_data(n_members=2)
    settings = SideBySideSettings(hidden_layer_sizes=(4,), n_outputs=1)
    with pytest.raises(ValueError, match="same networks"):
        train_side_by_side(X, y, settings, seeds=[0])


@pytest.mark.parametrize(
    "estimator, reason",
    [
        (VIANNClassifier(solver="adam"), "solver='adam'"),
        (VIANNClassifier(learning_rate="adaptive"), "learning_rate='adaptive'"),
        (VIANNRegressor(loss="poisson"), "loss='poisson'"),
        (VIANNClassifier(importance_on="batch"), "importance_on='batch'"),
    ],
)
def test_settings_the_stacked_step_does_not_cover_are_named(estimator, reason):
    X, y = np.zeros((10, 2)), np.arange(10) % 2
    assert side_by_side_unsupported(estimator, X, y, {}) == reason


def test_defaults_train_side_by_side_and_others_one_at_a_time():
    X, y = np.zeros((10, 2)), np.arange(10) % 2
    assert side_by_side_unsupported(VIANNClassifier(), X, y, {}) is None
    assert side_by_side_unsupported(VIANNClassifier(), X, y, {"sample_weight": np.ones(10)}) == (
        "fit parameters were passed"
    )
    assert side_by_side_unsupported(VIANNClassifier(), X, np.zeros(10), {}) == "y has one class"


def test_fitted_copies_report_what_the_selector_reads():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = X[:, 0] + 0.1 * rng.normal(size=200)
    fits = fit_side_by_side(VIANNRegressor(max_iter=30), [X, X[::-1].copy()], y, [0, 1])
    for fit in fits:
        assert fit.feature_importances_.shape == (4,)
        assert fit.feature_importances_.sum() == pytest.approx(1.0)
        assert fit.baseline_validation_score_ == 0.0
        assert fit.best_validation_score_ is not None
    assert int(np.argmax(fits[0].feature_importances_)) == 0


def signal_in_two_columns(n_samples=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 6))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def test_selector_trains_side_by_side_by_default_and_finds_the_signal():
    X, y = signal_in_two_columns(n_samples=400)  # above 300 rows: with early stopping, as the estimator is set
    selector = VIANNSelector(VIANNClassifier(random_state=0), random_state=0).fit(X, y)
    # 12 planned fits at alpha 0.05: the third miss rejects, so three can train before any could.
    assert selector.fits_at_once_ == 3
    assert {0, 1} <= set(selector.get_support(indices=True))
    assert selector.fits_beating_baseline_ == selector.n_fits_


def test_selector_one_fit_at_a_time_is_the_former_behaviour():
    X, y = signal_in_two_columns()
    former = dict(fits_at_once=1, epochs=None)  # the defaults before these parameters existed
    selector = VIANNSelector(VIANNClassifier(random_state=0), random_state=0, **former).fit(X, y)
    assert selector.fits_at_once_ == 1
    # The numbers of the docstring's example, from before fits_at_once and epochs="auto" existed.
    assert selector.n_fits_ == 11
    np.testing.assert_array_equal(selector.hits_, [11, 11, 0, 1, 0, 0])


def test_selector_falls_back_to_one_at_a_time_where_the_step_does_not_apply():
    X, y = signal_in_two_columns(n_samples=200)
    selector = VIANNSelector(VIANNClassifier(solver="adam", max_iter=40, random_state=0), n_fits=6, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        selector.fit(X, y)
    assert selector.fits_at_once_ == 1
    # Asked for rounds, such an estimator still trains them, one network after another.
    rounds = VIANNSelector(
        VIANNClassifier(solver="adam", max_iter=40, random_state=0), n_fits=6, fits_at_once=3, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        rounds.fit(X, y)
    assert rounds.fits_at_once_ == 3
    assert rounds.n_fits_ <= 6


def test_selector_side_by_side_on_a_regression_target_with_float32_input():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(250, 5)).astype(np.float32)
    y = np.sin(2 * X[:, 2]) + X[:, 4] + 0.1 * rng.normal(size=250)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        selector = VIANNSelector(VIANNRegressor(random_state=0), random_state=0).fit(X, y)
    assert selector.fits_at_once_ == 3
    assert {2, 4} <= set(selector.get_support(indices=True))


def test_auto_rounds_decide_exactly_as_one_side_by_side_fit_at_a_time(monkeypatch):
    """Rounds no longer than the fits before a rejection: the same draws, inputs and networks as rounds of one."""
    from viann_sklearn.selection import selector as selector_module

    X, y = signal_in_two_columns(n_samples=240, seed=3)
    X = np.hstack([X, np.random.default_rng(4).normal(size=(240, 4))])
    rounds = VIANNSelector(VIANNClassifier(random_state=1), random_state=2).fit(X, y)
    monkeypatch.setattr(selector_module, "fits_before_a_rejection", lambda *args: 1)
    one_by_one = VIANNSelector(VIANNClassifier(random_state=1), random_state=2).fit(X, y)
    assert rounds.fits_at_once_ == 3 and one_by_one.fits_at_once_ == 1
    np.testing.assert_array_equal(rounds.hits_, one_by_one.hits_)
    assert rounds.n_fits_ == one_by_one.n_fits_
    np.testing.assert_allclose(rounds.feature_importances_, one_by_one.feature_importances_, rtol=1e-5)
    np.testing.assert_array_equal(rounds.get_support(), one_by_one.get_support())


def test_fixed_rounds_let_rejected_features_leave_between_rounds_only():
    X, y = signal_in_two_columns(n_samples=240, seed=5)
    selector = VIANNSelector(VIANNClassifier(random_state=0), fits_at_once=6, random_state=0).fit(X, y)
    assert selector.fits_at_once_ == 6
    assert {0, 1} <= set(selector.get_support(indices=True))


def test_wide_designs_train_fewer_at_once(monkeypatch):
    from viann_sklearn.selection import selector as selector_module

    X, y = signal_in_two_columns(n_samples=240, seed=6)
    # X and one shadow per column, in the networks' float32 (the default dtype)
    design_bytes = X.shape[0] * 2 * X.shape[1] * np.dtype(np.float32).itemsize
    # Room for one design, X and its shadows (the later, narrower designs still take more than half).
    monkeypatch.setattr(selector_module, "AUTO_STACK_BYTES", design_bytes)
    selector = VIANNSelector(VIANNClassifier(random_state=0), random_state=0).fit(X, y)
    assert selector.fits_at_once_ == 1
    assert {0, 1} <= set(selector.get_support(indices=True))


def test_a_network_that_diverges_keeps_its_best_validation_epoch():
    X, y = regression_data(n_members=2)
    settings = SideBySideSettings(hidden_layer_sizes=(8,), n_outputs=1, max_iter=50, learning_rate=1.0)
    results = train_side_by_side(X, y, settings, seeds=[0, 1], validation=(X[:, :20], y[:, :20]))
    # The first diverges (its outputs stop being finite) and leaves the stack; the second stops on its own.
    assert [result.diverged for result in results] == [True, False]
    assert results[0].n_iter < results[1].n_iter
    assert all(np.isfinite(result.scores).all() and math.isfinite(result.best_validation_score) for result in results)
    assert not results[0].converged


def test_selector_says_once_a_round_when_its_networks_ran_out_of_epochs():
    X, y = signal_in_two_columns(n_samples=200, seed=7)
    # epochs=None: the estimator's own stopping rule ran out of epochs (under "auto", 200 rows
    # train without early stopping, the selector's choice, and it says nothing).
    selector = VIANNSelector(VIANNClassifier(max_iter=3, random_state=0), epochs=None, random_state=0)
    with pytest.warns(
        ConvergenceWarning, match=r"Maximum iterations \(3\) reached .* networks of a VIANNSelector round"
    ):
        selector.fit(X, y)
    assert selector.fits_at_once_ > 1


def test_the_networks_compute_in_float32_by_default_and_dtype_none_keeps_x_dtype(monkeypatch):
    # dtype="float32" (the default) converts X once, so the stacked networks train in float32;
    # dtype=None trains on X as given, as the selector did before the parameter existed.
    from viann_sklearn.selection import selector as selector_module

    seen = []

    def recording(template, designs, y, random_states):
        seen.append(designs[0].dtype)
        return fit_side_by_side(template, designs, y, random_states)

    monkeypatch.setattr(selector_module, "fit_side_by_side", recording)
    X, y = signal_in_two_columns(n_samples=200, seed=3)
    estimator = VIANNClassifier(max_iter=30, random_state=0)
    default = VIANNSelector(estimator, n_fits=5, random_state=0).fit(X, y)
    assert set(seen) == {np.dtype(np.float32)} and default.feature_importances_.dtype == np.float64
    seen.clear()
    as_given = VIANNSelector(estimator, n_fits=5, dtype=None, random_state=0).fit(X, y)
    assert set(seen) == {np.dtype(np.float64)}
    # The same procedure in another rounding: the signal columns still lead.
    assert set(np.argsort(default.feature_importances_)[-2:]) == set(np.argsort(as_given.feature_importances_)[-2:])
    with pytest.raises(ValueError, match="too large"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's own note on the overflowing cast
        VIANNSelector(estimator, n_fits=5, random_state=0).fit(np.c_[X, np.full(len(X), 1e39)], y)
