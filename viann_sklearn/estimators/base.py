"""``_BaseVIANN``: what VIANNClassifier and VIANNRegressor share: the fit, prediction, importances.

The classifier and the regressor live in ``classifier.py`` and ``regressor.py``,
their shared parameters in ``parameters.py``, early stopping's split and patience
in ``early_stopping.py``, input statistics in ``inputs.py``. How the network
trains (the net, its callbacks, solvers, the epoch loop) is the training layer,
``viann_sklearn/training/``.
"""

import functools
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from ..adapters.skorch_callbacks import VarianceImportance
from ..training.batches import TrainingRows
from ..training.loop import train_in_memory
from ..training.mlp import LOSSES, MultiLayerPerceptron
from ..training.net import build_net
from ..training.solvers import fit_lbfgs, optimizer_settings, seeded_torch, subnormals_flushed
from ..training.tensors import row_chunks, to_tensor
from .early_stopping import baseline_score, patience, split_validation, wants_validation
from .inputs import checked_sample_weight, column_mean_and_scale, column_ranges
from .parameters import SHARED_PARAMETER_CONSTRAINTS

__all__ = ["UninformativeTargetWarning", "_BaseVIANN"]

# Rows per forward pass at predict time: large enough to amortise Python
# overhead, small enough that hidden activations stay far below memory limits.
_PREDICT_CHUNK_ROWS = 8192


class UninformativeTargetWarning(RuntimeWarning):
    """A fit on a target that carries no information: the importances of that network carry none either.

    Issued by ``fit``, ``partial_fit`` and warm-start fits of VIANNClassifier
    (y of a single class, or a multilabel indicator whose every label column
    is constant) and VIANNRegressor (every target column constant), counting
    only the rows of positive sample weight. The fit itself goes on, as
    scikit-learn's MLPClassifier's does; filter this class to silence it.

    A ``RuntimeWarning``, not a ``UserWarning``: the call was right and the
    result is what such data gives, and code (scikit-learn's own MLP tests
    among it) that turns every ``UserWarning`` of a fit into an error, to
    catch misuse, still fits on a constant target as it does with MLPClassifier.
    """


def _rows_that_count(y, sample_weight):
    """The targets of the rows that weigh in the loss: all of them, or those of positive sample weight."""
    return y if sample_weight is None else y[sample_weight > 0]


def _among_weighted_rows(sample_weight):
    """The qualifier of an uninformative-target cause judged on some of the rows only."""
    return "" if sample_weight is None or (sample_weight > 0).all() else " among the samples of positive sample_weight"


def _is_stochastic(estimator):
    """partial_fit exists for the minibatch solvers only, as in MLPClassifier."""
    if estimator.solver == "lbfgs":
        raise AttributeError(f"partial_fit is not available for solver={estimator.solver!r}.")
    return True


class _BaseVIANN(BaseEstimator, metaclass=ABCMeta):
    """What the classifier and the regressor share: parameters, training, prediction.

    Its ``__init__`` declares the parameters both share and their defaults
    (the regressor's adds ``loss``); ``parameters.py`` holds their constraints
    and documentation, and ``tests/test_parameters.py`` checks that all of
    these agree. A subclass provides the hooks declared abstract below (what
    the targets become, how many outputs, which loss, how outputs are scored)
    and may override the others, which have the regressor's and classifier's
    common answer.
    """

    _parameter_constraints: dict = dict(SHARED_PARAMETER_CONSTRAINTS)

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="sgd",
        alpha=1.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.01,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping="auto",
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init=0.05,
        importance_on="epoch",
        standardize=True,
        device="cpu",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.weight_init = weight_init
        self.importance_on = importance_on
        self.standardize = standardize
        self.device = device

    # ----------------------------------------------------------------- fitting
    def _fit(self, X, y, *, incremental, classes=None, sample_weight=None):
        if incremental and self.early_stopping is True:
            raise ValueError("partial_fit does not support early_stopping=True.")
        continuing = hasattr(self, "net_") and (incremental or self.warm_start)
        X, y = validate_data(
            self,
            X,
            y,
            reset=not continuing,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=not is_classifier(self),
        )
        if sp.issparse(X):
            X = X.tocsr()  # batches are row slices; CSC converts once, still sparse
        sample_weight = checked_sample_weight(sample_weight, X)
        hidden_layer_sizes = self._checked_hidden_layer_sizes()
        device = self._checked_device()
        targets = self._encode_targets(
            y, continuing=continuing, incremental=incremental, classes=classes, sample_weight=sample_weight
        )
        uninformative = self._uninformative_target(y, sample_weight=sample_weight, incremental=incremental)
        self._record_column_ranges(*column_ranges(X), continuing)
        seed = self._draw_seed(continuing, incremental, X.dtype)

        # The training rows are positions in X, not a copy of them: a copy of
        # 90 % of the data would double the memory a fit needs.
        train_positions, validation = None, None
        self._stopped_on_validation = not incremental and wants_validation(self, targets)
        if self._stopped_on_validation:
            train_positions, validation = split_validation(self, X, targets, sample_weight, seed)
        rows = self._training_rows(X, targets, sample_weight, device, train_positions)
        n_samples = len(rows)
        batch_size = n_samples if self.solver == "lbfgs" else self._checked_batch_size(n_samples)
        input_statistics = None
        if not continuing and self.standardize:
            input_statistics = column_mean_and_scale(X, sample_weight, rows=train_positions)

        def train(net):
            if self.solver == "lbfgs":
                return fit_lbfgs(
                    net, rows, max_iter=self.max_iter, max_fun=self.max_fun, tol=self.tol, alpha=self.alpha
                )
            train_in_memory(net, rows, epochs=1 if incremental else self.max_iter)
            return None

        self._train_net(
            train,
            seed=seed,
            device=device,
            continuing=continuing,
            incremental=incremental,
            n_features=X.shape[1],
            input_statistics=input_statistics,
            hidden_layer_sizes=hidden_layer_sizes,
            n_samples=n_samples,
            batch_size=batch_size,
            validation=validation,
        )
        if uninformative is not None:
            warnings.warn(
                f"{uninformative}: the network has nothing to learn, and its feature_importances_ carry no "
                "information.",
                UninformativeTargetWarning,
                stacklevel=4,  # _fit < fit or partial_fit < _fit_context's wrapper < the caller
            )
        return self

    # The steps of a fit that fit_stream (streaming.py) shares with _fit: _draw_seed,
    # _record_column_ranges, _checked_* , _training_rows and _train_net, besides the hooks.
    def _train_net(
        self,
        train,
        *,
        seed,
        device,
        continuing,
        incremental,
        n_features,
        input_statistics,
        hidden_layer_sizes,
        n_samples,
        batch_size,
        validation,
    ):
        """One training run, from the seeded net to the published model: what ``fit`` and ``fit_stream`` share.

        The net is new, or with ``continuing`` the fitted one with this run's
        settings; its initial weights are drawn from ``seed``.
        ``input_statistics`` is the (shift, scale) of the columns for a new
        net with ``standardize``, else None; ``validation`` the held-out
        ``(X, y, sample_weight)`` or None. ``train(net)`` runs the epochs (in
        memory, L-BFGS or over a stream, through ``training.loop.train_epochs``)
        and returns L-BFGS's reason to stop without converging, or None.
        """
        with seeded_torch(seed, device), subnormals_flushed(device):
            if continuing:
                net = self.net_
                self._continue_net(net, batch_size, device, new_optimizer=not incremental)
            else:
                net = self._new_net(n_features, input_statistics, hidden_layer_sizes, batch_size, device)
            monitor = self._prepare_run(net, incremental, n_samples, batch_size, validation)
            lbfgs_stop = train(net)
        self._finish_fit(net, monitor, n_samples, incremental, continuing, lbfgs_stop)

    def _draw_seed(self, continuing, incremental, X_dtype):
        """The seed of this training run (weights, shuffling, validation split); fixes the compute dtype."""
        if not continuing or not incremental:
            # A fit draws from a fresh RandomState (identical fits for an int
            # random_state); partial_fit continues the stream, like MLPClassifier.
            self._random_state = check_random_state(self.random_state)
        seed = int(self._random_state.randint(np.iinfo(np.int32).max))
        if not continuing:
            self._compute_dtype = torch.float32 if X_dtype == np.float32 else torch.float64
        return seed

    def _prepare_run(self, net, incremental, n_samples, batch_size, validation):
        """Check what may not change, and set the schedule and the stopping rule for this run; the monitor."""
        self._check_unchanged_standardization(net)
        self._update_tracking_mode(net)
        monitor = net.convergence_monitor
        schedule = net.learning_rate_schedule
        # What a constant prediction scores on the validation rows: reported
        # beside best_validation_score_, and (under "auto") the plateau early
        # stopping waits out.
        self._validation_baseline = None if validation is None else baseline_score(self, validation[1], validation[2])
        if schedule is not None and not incremental:
            # A new fit (warm_start too) starts from the current learning_rate_init, as MLPClassifier's does.
            schedule.restart(*self._schedule_settings())
        monitor.prepare(
            epochs=1 if incremental else self.max_iter,
            tol=self.tol,
            n_iter_no_change=patience(self, n_samples, batch_size),
            # L-BFGS stops on its own criteria (see fit_lbfgs)
            may_stop=not incremental and self.solver != "lbfgs",
            validation_score=None if validation is None else self._validation_scorer(net, *validation),
            baseline_score=None if self.early_stopping is True else self._validation_baseline,
            verbose=bool(self.verbose),
        )
        return monitor

    def _finish_fit(self, net, monitor, n_samples, incremental, continuing, lbfgs_stop=None):
        """Publish a finished training run: the net, and what it reports."""
        net.module_.eval()  # ready for prediction; see _forward
        self.net_ = net
        self._record_training(monitor, n_samples, incremental, continuing, lbfgs_stop)

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _encode_targets(self, y, *, continuing, incremental, classes, sample_weight=None):
        """The targets as the network trains on them (class indices, label columns, standardised values).

        Records what prediction needs to decode them (``classes_``, target
        statistics) unless ``continuing``. ``classes`` is partial_fit's.
        """

    @abstractmethod
    def _uninformative_target(self, y, *, sample_weight, incremental):
        """Why the targets of this call carry no information (the cause, in words, for the warning), or None.

        ``y`` is the validated target of the call (after ``_encode_targets``,
        so ``classes_`` is known) and only the rows of positive
        ``sample_weight`` count. ``incremental``: a partial_fit call, whose
        chunk may lack classes the stream has.
        """

    @abstractmethod
    def _n_network_outputs(self):
        """The number of output units of the torch network."""

    @abstractmethod
    def _loss_name(self):
        """The key of the training loss in ``training.mlp.LOSSES``."""

    @abstractmethod
    def _output_activation(self):
        """``out_activation_``: the output activation of MLPClassifier's equivalent network."""

    @abstractmethod
    def _score_outputs(self, outputs, y_encoded, sample_weight=None):
        """The validation score (accuracy or R²) of network outputs against encoded targets."""

    def _target_columns_to_standardize(self, y):
        """The targets as columns, where a streamed fit must gather their mean and scale; else None.

        Only the regressor standardises its targets (see ``_encode_targets``).
        """
        return None

    def _use_target_statistics(self, shift, scale):
        """Standardise the targets with statistics gathered over a whole stream."""

    def _schedule_settings(self):
        # learning_rate schedules apply to "sgd" only, as in MLPClassifier; Adam keeps its rate.
        schedule = self.learning_rate if self.solver == "sgd" else "constant"
        return schedule, self.learning_rate_init, self.power_t

    def _training_rows(self, X, targets, sample_weight, device, positions=None):
        """The training data, moved to the training device once; every batch is then a slice of it.

        A sparse X stays a scipy matrix on the host: each batch becomes a CSR
        tensor, never dense. ``positions`` (the training rows, when a
        validation set is held out) index into X, which is not copied.
        """
        dtype = self._compute_dtype_numpy()
        if not sp.issparse(X):
            X = to_tensor(X, dtype).to(device)
        y = to_tensor(targets, self._target_dtype()).to(device)
        if sample_weight is not None:
            sample_weight = to_tensor(sample_weight, dtype).to(device)
        if positions is not None:
            positions = torch.from_numpy(positions).to(device)
        return TrainingRows(X, y, sample_weight, dtype=self._compute_dtype, positions=positions)

    def _target_dtype(self):
        """The dtype of the network's targets: class indices, or values in the compute dtype."""
        return self._compute_dtype_numpy()

    def _new_net(self, n_features, input_statistics, hidden_layer_sizes, batch_size, device):
        standardization = {}
        if input_statistics is not None:
            shift, scale = input_statistics
            dtype = self._compute_dtype_numpy()
            # A spread below the compute dtype's smallest number (float32 columns of
            # subnormals) rounds to a scale of 0: no spread, like a constant column.
            scale = np.where(scale.astype(dtype) > 0, scale, 1.0)
            standardization = dict(input_shift=to_tensor(shift, dtype), input_scale=to_tensor(scale, dtype))
        module = MultiLayerPerceptron(
            n_features,
            hidden_layer_sizes,
            self._n_network_outputs(),
            self.activation,
            self.weight_init,
            **standardization,
        )
        return build_net(
            module.to(device=device, dtype=self._compute_dtype),
            criterion=LOSSES[self._loss_name()],
            device=device,
            importance_on=self.importance_on,
            schedule_settings=None if self.solver == "lbfgs" else self._schedule_settings(),
            loop_settings=self._loop_settings(batch_size),
            optimizer_settings=self._optimizer_settings(batch_size, device),
        )

    def _continue_net(self, net, batch_size, device, new_optimizer):
        optimizer_settings = None
        if new_optimizer:  # a warm-start fit uses the current settings, as MLPClassifier does
            if (net.optimizer is torch.optim.LBFGS) != (self.solver == "lbfgs"):
                raise ValueError(
                    "solver cannot switch between 'lbfgs' and a stochastic solver while training continues "
                    "(warm_start); fit from scratch instead."
                )
            optimizer_settings = self._optimizer_settings(batch_size, device)
        net.continue_with(self._loop_settings(batch_size), optimizer_settings)

    def _check_unchanged_standardization(self, net):
        if (net.module_.input_shift is not None) != self.standardize:
            raise ValueError(
                "standardize cannot change while training continues (warm_start or partial_fit); "
                "fit from scratch instead."
            )

    def _update_tracking_mode(self, net):
        importance = net.variance_importance
        if (importance is not None) != (self.importance_on is not None):
            raise ValueError(
                "importance_on cannot switch between None and a tracking mode while training "
                "continues (warm_start or partial_fit); fit from scratch instead."
            )
        if importance is not None:
            importance.on = self.importance_on  # it samples so from the next training run on

    def _loop_settings(self, batch_size):
        # verbose: ConvergenceMonitor prints MLPClassifier's lines, not skorch's table
        return dict(batch_size=batch_size, iterator_train__shuffle=self.shuffle, verbose=0)

    def _optimizer_settings(self, batch_size, device):
        return optimizer_settings(self, batch_size, device)

    def _validation_scorer(self, net, X_val, y_val, w_val):
        # Dense validation rows become a tensor on the training device once, not every epoch.
        device = next(net.module_.parameters()).device
        if not sp.issparse(X_val):
            X_val = to_tensor(X_val, self._compute_dtype_numpy()).to(device)
        score_outputs = self._validation_metric(y_val, w_val)

        def validation_score():
            # No eval() here: the network has no layer that behaves differently
            # in training (no dropout, no batch norm), and switching modes
            # twice per epoch was a visible share of a short epoch.
            outputs = self._forward(net.module_, X_val, device)
            if not torch.isfinite(outputs).all():
                return float("nan")  # a diverged network has no score
            return score_outputs(outputs)

        return validation_score

    def _validation_metric(self, y_val, w_val):
        """The validation score as a function of the network's outputs alone, for targets scored every epoch."""
        return functools.partial(self._score_outputs, y_encoded=y_val, sample_weight=w_val)

    def _record_column_ranges(self, column_min, column_max, continuing):
        # Running min and max of every column over all the data trained on, so
        # that "constant" means constant across partial_fit chunks too.
        if continuing:
            column_min = np.minimum(column_min, self._column_min)
            column_max = np.maximum(column_max, self._column_max)
        self._column_min, self._column_max = column_min, column_max

    def _record_training(self, monitor, n_samples, incremental, continuing, lbfgs_stop):
        self.loss_curve_ = list(monitor.loss_curve_)
        # Empty only if training was interrupted inside its first epoch.
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else None
        # The iterations of this call, as MLPClassifier counts them: a fit
        # (warm_start too) counts from 0, partial_fit adds its one epoch.
        self.n_iter_ = self.n_iter_ + monitor.epochs_run_ if incremental and continuing else monitor.epochs_run_
        samples_seen = monitor.epochs_run_ * n_samples
        self.t_ = self.t_ + samples_seen if continuing else samples_seen
        self._no_improvement_count = monitor.no_improvement_count_
        self._optimizer = self.net_.learning_rate_schedule
        self.n_layers_ = len(self._linear_layers()) + 1
        self.n_outputs_ = self._mlp_n_outputs()
        self.out_activation_ = self._output_activation()
        if self._stopped_on_validation:
            self.best_loss_ = None
            self.validation_scores_ = list(monitor.validation_scores_)
            self.best_validation_score_ = monitor.best_validation_score_
            self.baseline_validation_score_ = self._validation_baseline
        else:
            self.best_loss_ = monitor.best_loss_
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.baseline_validation_score_ = None
        if self.solver == "lbfgs":
            if lbfgs_stop is not None:
                limit = f"max_iter={self.max_iter}" if lbfgs_stop == "max_iter" else f"max_fun={self.max_fun}"
                warnings.warn(
                    f"lbfgs failed to converge after {self.n_iter_} iteration(s): it reached {limit}. "
                    "Increase it, or scale the data.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
            return
        if monitor.diverged_:
            warnings.warn(
                f"Training diverged at epoch {monitor.epochs_run_} (the loss became non-finite); the "
                "weights (and importances) of the best validation epoch were restored. Lower "
                "learning_rate_init or scale the inputs.",
                ConvergenceWarning,
                stacklevel=3,
            )
            return
        if incremental or monitor.converged_:
            return
        if monitor.epochs_run_ < self.max_iter:
            warnings.warn(
                f"Training was interrupted after {monitor.epochs_run_} of {self.max_iter} "
                "epochs; the model and its importances are those of the epochs that ran.",
                UserWarning,
                stacklevel=3,
            )
        else:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                "the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )

    # ------------------------------------------------------------- validation
    def _checked_hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if np.ndim(sizes) == 0 else list(sizes)
        if not all(isinstance(size, Integral) and not isinstance(size, bool) and size > 0 for size in sizes):
            raise InvalidParameterError(
                f"The 'hidden_layer_sizes' parameter of {type(self).__name__} must contain "
                f"positive integers. Got {self.hidden_layer_sizes!r} instead."
            )
        return [int(size) for size in sizes]

    def _checked_device(self):
        try:
            device = torch.device(self.device)
        except (RuntimeError, ValueError) as error:
            raise ValueError(f"device={self.device!r} is not a torch device: {error}") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device={self.device!r} but CUDA is not available on this machine.")
        return device

    def _checked_batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n_samples} training samples; "
                "it is clipped to the number of samples.",
                UserWarning,
                stacklevel=4,
            )
        return int(min(self.batch_size, n_samples))

    # -------------------------------------------------------------- inference
    def _compute_dtype_numpy(self):
        return np.float32 if self._compute_dtype == torch.float32 else np.float64

    def _forward(self, module, X, device=None):
        """Network outputs for X (an array, a sparse matrix or a tensor), in chunks, with gradients off.

        Sparse rows stay sparse (see ``MultiLayerPerceptron.forward``). The outputs stay in the
        compute dtype, on the CPU. The module is in eval mode here: ``fit``
        leaves it so, and skorch puts it back in train mode at every training
        step. Not toggling the mode keeps concurrent predictions from several
        threads safe. ``device``: the module's, when the caller knows it (finding it
        walks the module, a visible share of a short epoch's validation).
        """
        if device is None:
            device = next(module.parameters()).device
        with torch.inference_mode():
            if torch.is_tensor(X) and X.shape[0] <= _PREDICT_CHUNK_ROWS:
                # One chunk already in place (the validation rows, every epoch): no copies.
                return module(X.to(device)).cpu()
            chunks = row_chunks(X, _PREDICT_CHUNK_ROWS, self._compute_dtype_numpy(), device)
            outputs = [module(chunk.to(device)) for chunk in chunks]
        return torch.cat(outputs).cpu()

    def _outputs(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32))
        if sp.issparse(X):
            X = X.tocsr()
        return self._forward(self.net_.module_, X)

    # ------------------------------------------------------------ importances
    @property
    def variance_importance_(self) -> VarianceImportance:
        """The :class:`VarianceImportance` callback that tracked training."""
        check_is_fitted(self)
        importance = self.net_.variance_importance
        if importance is None:
            raise AttributeError(f"This {type(self).__name__} was trained with importance_on=None: no importances.")
        return importance

    @property
    def feature_importances_(self) -> np.ndarray:
        """VIANN importance of each feature: ndarray of shape (n_features,), >= 0, sums to 1.

        A column that was constant in all the training data gets exactly 0:
        it cannot inform a prediction. (Its weights still move, by the L2
        penalty, and under Adam by as much as any other weight, since Adam
        scales every update to the same size.)

        A network whose targets carried no information (y of a single class,
        constant label columns, constant regression targets) had nothing to
        learn: its weights only drift (under the penalty and the batches'
        noise), and these importances, which still sum to 1, carry no
        information either. Such a fit warns with
        ``viann_sklearn.UninformativeTargetWarning``.
        """
        importance = self.variance_importance_
        if not hasattr(importance, "feature_importances_"):
            raise AttributeError(
                f"This {type(self).__name__} has no feature importances: training stopped "
                "before the first weight update."
            )
        importances = importance.feature_importances_.copy()
        constant = self._column_min == self._column_max
        if constant.any() and importances[~constant].sum() > 0:
            importances[constant] = 0.0
            importances /= importances.sum()
        return importances

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, ``coefs_[i]`` of shape (n_in, n_out), as in MLPClassifier (see :meth:`_mlp_layers`)."""
        return self._mlp_layers()[0]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, ``intercepts_[i]`` of shape (n_out,), as in MLPClassifier (see :meth:`_mlp_layers`)."""
        return self._mlp_layers()[1]

    def _mlp_layers(self):
        """The network's weights and biases as MLPClassifier would hold them (copies).

        MLPClassifier's forward pass on raw X, with these and
        ``out_activation_``, gives this estimator's predictions: the input
        standardisation is folded into the first layer, and the subclass
        folds what it does to the outputs into the last (see
        :meth:`_output_layer_as_mlp`).
        """
        check_is_fitted(self)
        layers = self._linear_layers()
        coefs = [layer.weight.detach().cpu().numpy().T.copy() for layer in layers]
        intercepts = [layer.bias.detach().cpu().numpy().copy() for layer in layers]
        module = self.net_.module_
        if module.input_shift is not None:
            # ((X - shift) / scale) @ W + b == X @ (W / scale) + (b - (shift / scale) @ W)
            shift = module.input_shift.detach().cpu().numpy().astype(coefs[0].dtype)
            scale = module.input_scale.detach().cpu().numpy().astype(coefs[0].dtype)
            intercepts[0] -= (shift / scale) @ coefs[0]
            coefs[0] /= scale[:, np.newaxis]  # in place: coefs[0] is already our copy, and can be the widest array
        return self._output_layer_as_mlp(coefs, intercepts)

    def _output_layer_as_mlp(self, coefs, intercepts):
        """Fold output-side conversions into the last layer; the subclass knows which."""
        return coefs, intercepts

    def _mlp_n_outputs(self):
        """``n_outputs_``: the output units of MLPClassifier's equivalent network."""
        return self._linear_layers()[-1].out_features

    def _linear_layers(self):
        return [layer for layer in self.net_.module_.layers if isinstance(layer, nn.Linear)]

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = False
        return tags
