"""The parameters VIANNClassifier and VIANNRegressor share: their constraints and their documentation.

Their defaults are those of ``_BaseVIANN.__init__`` (``base.py``);
``tests/test_parameters.py`` checks that both estimators' signatures, these
constraints and the docstring sections below name the same parameters with the
same defaults.
"""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, Options, StrOptions

from ..method.tracker import TRACKING_MODES

__all__ = ["SHARED_PARAMETER_CONSTRAINTS", "_SHARED_ATTRIBUTES_DOC", "_SHARED_PARAMETERS_DOC"]

SHARED_PARAMETER_CONSTRAINTS: dict = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
    "solver": [StrOptions({"sgd", "adam", "lbfgs"})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean", StrOptions({"auto"})],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    "weight_init": [StrOptions({"glorot_uniform"}), Interval(Real, 0, None, closed="neither")],
    "importance_on": [StrOptions(set(TRACKING_MODES)), None],
    "standardize": ["boolean"],
    "device": [str, torch.device],
}


_SHARED_PARAMETERS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Width of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers.
    solver : {"sgd", "adam", "lbfgs"}, default="sgd"
        ``torch.optim.SGD``, ``torch.optim.Adam``, or full-batch
        ``torch.optim.LBFGS`` (VIANN samples the weights after every L-BFGS
        iteration; no ``partial_fit``, no early stopping, as in MLPClassifier).
        The defaults of ``solver``, ``alpha``, ``learning_rate_init``,
        ``weight_init`` and ``standardize`` differ from MLPClassifier's: they
        were chosen on data with known informative features, where
        MLPClassifier's gave a ranking AUC of 0.87 and these 1.00 (see "How
        faithful are the importances?" in the docs).
    alpha : float, default=1.0
        Strength of the L2 penalty on the weights (not the biases), scaled by
        the batch size as in MLPClassifier. The penalty pulls the weights of
        useless inputs back to 0, so that VIANN's score, which multiplies in
        their final size, sees them as such.
    batch_size : int or "auto", default="auto"
        Size of the minibatches; "auto" is ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Schedule of "sgd"'s learning rate, as in MLPClassifier: constant;
        ``learning_rate_init / (t + 1) ** power_t`` after every epoch (``t``
        the samples seen); or divided by 5 each time the stopping rule would
        stop, until it is at most 1e-6.
    learning_rate_init : float, default=0.01
        Learning rate of the optimizer.
    power_t : float, default=0.5
        Exponent of "invscaling".
    max_iter : int, default=200
        Maximum number of epochs.
    shuffle : bool, default=True
        Shuffle the samples in every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling and the validation split. An
        int makes fits identical. torch's global RNG is left as it was.
    tol : float, default=1e-4
        Minimum improvement of the loss (or validation score) that counts.
    verbose : bool, default=False
        Print ``Iteration N, loss = ...`` after every epoch, as MLPClassifier does.
    warm_start : bool, default=False
        Continue from the previous fit (weights and VIANN variance) instead
        of starting over.
    momentum : float, default=0.9
        Momentum of "sgd".
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with "sgd".
    early_stopping : bool or "auto", default="auto"
        Hold out ``validation_fraction`` of the data, stop when its score no
        longer improves, and keep the best epoch's weights; the VIANN variance
        is rolled back to that epoch too, so the importances describe the
        returned network. "auto" does so where the data allow it (a
        validation split of at least 5 rows, every class with 2 members),
        waits at least 50 optimizer steps as well as ``n_iter_no_change``
        epochs, and does not count epochs on which the network is no better
        than a constant prediction. It differs from MLPClassifier's False:
        past its best epoch a network memorises through noise inputs too,
        and VIANN counts that as importance (see "Can I trust these
        importances?" in the docs). False trains on all the rows until the
        training loss stops improving.
    validation_fraction : float, default=0.1
        Share of the data held out for early stopping.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates.
    epsilon : float, default=1e-8
        Adam's numerical stability term.
    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` that end training.
    max_fun : int, default=15000
        Most loss evaluations of "lbfgs".
    weight_init : "glorot_uniform" or float, default=0.05
        Initial weights: MLPClassifier's Glorot-uniform, or a float, the
        standard deviation of a zero-mean normal (biases start at zero). The
        VIANN paper used 0.05. A small initialisation keeps the final
        magnitude of weights from useless inputs from being mostly their
        random start, which VIANN's score multiplies in.
    standardize : bool, default=True
        Standardise every column (mean 0, standard deviation 1, from the
        first fit's data) inside the network, before its first layer; the
        regressor standardises its targets too (``predict`` returns them in
        their own units; ``loss_curve_`` is in standard units). VIANN
        reads first-layer weights, and a weight's size depends on its
        column's units; standardising makes importances (and training) the
        same whether a column is in metres or millimetres. The statistics
        are kept for ``warm_start`` and ``partial_fit``. ``coefs_`` and
        ``intercepts_`` have the standardisation folded in: they apply to X
        as given.
    importance_on : {"epoch", "batch"} or None, default="epoch"
        Sample the input weights for VIANN after every epoch (as in the paper)
        or after every batch. None trains without tracking, and without
        ``feature_importances_``.
    device : str or torch.device, default="cpu"
        Where to train, e.g. "cuda".
"""

_SHARED_ATTRIBUTES_DOC = """
    feature_importances_ : ndarray of shape (``n_features_in_``,)
        VIANN importances, >= 0 and summing to 1: for each input feature, the
        variance of each of its first-layer weights over training times the
        weight's final magnitude, summed over hidden units.
    variance_importance_ : VarianceImportance
        The callback that tracked training: raw ``scores_``, ``variances_``
        and the per-epoch ``importances_history_``.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features, when X has string column names.
    loss_ : float or None
        Training loss of the last epoch (None if interrupted inside the first).
    loss_curve_ : list of float
        Training loss of every epoch.
    best_loss_ : float or None
        Lowest training loss, ``None`` with early stopping.
    validation_scores_ : list of float or None
        Validation score of every epoch with early stopping.
    best_validation_score_ : float or None
        Best validation score with early stopping.
    baseline_validation_score_ : float or None
        With early stopping, what a constant prediction scores on the same
        validation rows: the majority class's share for single-label
        classifiers, 0 otherwise (R² of the mean; for multilabel targets the
        most common label set is not computed). A ``best_validation_score_``
        at or below it says the network learnt nothing it could show on
        held-out rows.
    n_iter_ : int
        Epochs (L-BFGS iterations) of the latest ``fit``, also with
        ``warm_start``; ``partial_fit`` adds one.
    t_ : int
        Number of training samples seen.
    n_layers_ : int
        Number of layers, input and output included.
    out_activation_ : {"softmax", "logistic", "identity", "exp"}
        What turns the outputs into predictions.
    coefs_, intercepts_ : list of ndarray
        Weights and biases of each layer, in MLPClassifier's layout and with
        its meaning: its forward pass on X as given, with these,
        ``activation`` and ``out_activation_``, gives this estimator's
        predictions (the input and target standardisation are folded in).
        Copies: changing them changes nothing.
"""
