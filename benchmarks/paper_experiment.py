"""The VIANN paper's table (de Sá 2019), redone with the notebook's protocol and many seeds.

What is compared: for each of the paper's three networks (NN1, NN2, DeepNN)
and each dataset, four Pearson correlations between importance scores of the
same trained network:

- VIANN vs LOFO ("leave one feature out": the model's loss on all rows with
  one column set to 0, no retraining);
- VIANN vs a random forest's impurity importances;
- Garson vs LOFO, and Garson vs VIANN.

The protocol is the original notebook's, detail for detail
(``paper_protocol.md`` in the issue; summarised here):

- data: breast_cancer, digits, iris, wine, diabetes; ``X = scale(X)`` on all
  rows; one-hot classes, a scaled regression target. (boston is no longer
  shipped by scikit-learn.)
- NN1: Dense 50 -> 100 -> 50, linear, L2 0.01 on those three kernels, then the
  output layer; plain SGD, lr 0.01. NN2: the same with ReLU.
- DeepNN: Dense 500 (ReLU), then linear Dense 1024, 2048, 4096, 2048, 1024,
  500, each layer followed by BatchNorm and Dropout (0.5; 0.2 after the last),
  a PReLU, the output layer; L2 0.1 on the 2048, 4096, 2048 and 1024 kernels;
  Adam with Keras' defaults.
- Keras' ``kernel_initializer='normal'`` (std 0.05; ``random_uniform`` in
  +-0.05 for the 4096 and the second 2048 layer), zero biases.
- batch size round(n / 7); the last 5 % of rows (file order) are validation
  and never trained on; the other 95 % are reshuffled every epoch.
- classification: up to 1000 epochs, stopping after the first epoch whose
  validation accuracy is > 0.95 and whose 0-based index is > 5; regression:
  100 epochs.
- VIANN: Welford over the first kernel at every epoch end, from the end of
  epoch 1 (the initial weights are not a sample), score
  ``sum_j var(w_ij) |w_ij|``; computed with this package's numeric core.
  The package's own tracker, which also counts the initial weights, runs
  alongside (``viann_library_vs_lofo`` in the CSV).
- Garson: the notebook's version, from the first and the output kernel only.
- random forest: 100 trees on the same X and one-hot Y.

Keras 2 and PyTorch differ in places; this script follows Keras (each place is
commented where it is done): the BatchNorm momentum convention and epsilon,
Adam's epsilon and where it enters the update, the L2 penalty added to the loss
(and so to Adam's moments, not decoupled), and the clipped cross-entropy.

Expected result: the paper's published numbers (single, unseeded runs) lie
within the spread of our seeds in most cells, with VIANN agreeing better with
LOFO than Garson does on average.

A second mode, ``--defaults-only``, is not in the paper: this package's
``VIANNClassifier``/``VIANNRegressor`` with their defaults on the same data,
fitted on all rows (they hold out their own validation data), scored the
same way (LOFO with their own loss), so users see how the library's defaults
compare with the paper's networks.

Usage::

    python benchmarks/paper_experiment.py --seeds 10       # the paper's networks, 10 seeds (about an hour on one core)
    python benchmarks/paper_experiment.py --defaults-only  # the library's defaults, 10 seeds (about a minute)
    python benchmarks/paper_experiment.py --report-only    # tables and figure again from the stored CSVs
    python benchmarks/paper_experiment.py --quick          # 1 seed, iris and diabetes, a small DeepNN: a smoke test

Runs are appended to ``benchmarks/results/paper_experiment_runs.csv`` (one row
per run, written as soon as it ends) with per-feature scores in
``paper_experiment_features.csv``; the tables go to
``benchmarks/results/paper_experiment.md`` (and ``paper_experiment_defaults.md``)
and the VIANN-vs-LOFO figure to ``docs/_static/viann_vs_lofo.png``.
"""

import argparse
import csv
import io
import math
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from peer_methods import garson, garson_paper, lofo_losses
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.preprocessing import scale
from torch import nn

from viann_sklearn import VarianceImportanceTorch, VIANNClassifier, VIANNRegressor
from viann_sklearn.method.moments import RunningMoments
from viann_sklearn.method.scores import viann_scores

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PAPER_TABLE = ROOT / "benchmarks" / "reference" / "paper_table.csv"  # as published
RUNS_CSV = RESULTS / "paper_experiment_runs.csv"
FEATURES_CSV = RESULTS / "paper_experiment_features.csv"
DEFAULTS_CSV = RESULTS / "paper_experiment_defaults.csv"
PROVENANCE = RESULTS / "paper_experiment_provenance.md"
FIGURE = ROOT / "docs" / "_static" / "viann_vs_lofo.png"
DATASETS = {
    "breastcancer": (load_breast_cancer, "classification"),
    "digits": (load_digits, "classification"),
    "iris": (load_iris, "classification"),
    "wine": (load_wine, "classification"),
    "diabetes": (load_diabetes, "regression"),
}
MODELS = ("NN1", "NN2", "DeepNN")
CORRELATIONS = ("viann_vs_lofo", "viann_vs_rf", "garson_vs_lofo", "garson_vs_viann")
RUN_FIELDS = ("model", "dataset", "seed", "epochs", "seconds", "valid_score", *CORRELATIONS, "viann_library_vs_lofo")
FEATURE_FIELDS = ("model", "dataset", "seed", "feature", "viann", "lofo", "garson", "rf")
KERAS_EPSILON = 1e-7  # keras.backend.epsilon(): Adam's epsilon and the cross-entropy's clip
NORMAL_STD = 0.05  # Keras 2's 'normal' initializer: RandomNormal(0, 0.05)
UNIFORM_LIMIT = 0.05  # Keras 2's 'random_uniform': RandomUniform(-0.05, 0.05)
VALIDATION_FRACTION = 0.05
BATCHES_PER_EPOCH = 7
MAX_EPOCHS = {"classification": 1000, "regression": 100}
STOP_ACCURACY = 0.95  # stop when validation accuracy is *above* this ...
STOP_AFTER_EPOCH_INDEX = 5  # ... at a 0-based epoch index above this: at least 7 epochs


class KerasAdam(torch.optim.Optimizer):
    """Adam as Keras 2.2 computes it.

    Keras folds both bias corrections into the learning rate and adds its
    epsilon (1e-7) to the uncorrected ``sqrt(v)``:
    ``w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``.
    ``torch.optim.Adam`` adds epsilon (1e-8) to the *corrected* ``sqrt(v)``,
    which makes early steps of weights with tiny gradients differ.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=KERAS_EPSILON):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                state = self.state[parameter]
                if not state:
                    state["t"] = 0
                    state["m"] = torch.zeros_like(parameter)
                    state["v"] = torch.zeros_like(parameter)
                state["t"] += 1
                t = state["t"]
                state["m"].mul_(beta1).add_(parameter.grad, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(parameter.grad, parameter.grad, value=1 - beta2)
                step_size = group["lr"] * math.sqrt(1 - beta2**t) / (1 - beta1**t)
                parameter.addcdiv_(state["m"], state["v"].sqrt().add_(group["eps"]), value=-step_size)


def keras_dense(n_in, n_out, init="normal"):
    """A Linear layer initialised as Keras' Dense(kernel_initializer=init): zero bias."""
    layer = nn.Linear(n_in, n_out)
    if init == "normal":
        nn.init.normal_(layer.weight, 0.0, NORMAL_STD)
    else:
        nn.init.uniform_(layer.weight, -UNIFORM_LIMIT, UNIFORM_LIMIT)
    nn.init.zeros_(layer.bias)
    return layer


def keras_batch_norm(width):
    # Keras' momentum 0.99 keeps 99 % of the running statistics per batch;
    # torch's momentum is the weight of the new batch: 0.01. Keras' epsilon is
    # 1e-3 (torch: 1e-5). Both update the running variance with the unbiased
    # batch variance, so that needs no change.
    return nn.BatchNorm1d(width, eps=1e-3, momentum=0.01)


def build_network(model, n_in, n_out, width_divisor=1):
    """The notebook's network as a torch module, and its L2 terms as (weight, coefficient) pairs."""
    if model in ("NN1", "NN2"):
        activation = nn.Identity if model == "NN1" else nn.ReLU
        widths = (50, 100, 50)
        layers, penalties = [], []
        for width_in, width_out in zip((n_in, *widths), widths):
            dense = keras_dense(width_in, width_out)
            penalties.append((dense.weight, 0.01))
            layers += [dense, activation()]
        layers.append(keras_dense(widths[-1], n_out))
        return nn.Sequential(*layers), penalties
    if model != "DeepNN":
        raise ValueError(f"Unknown model {model!r}; expected one of {MODELS}.")
    # (width, initializer, L2 coefficient, dropout rate) of each Dense layer after the first.
    hidden = [
        (1024, "normal", 0.0, 0.5),
        (2048, "normal", 0.1, 0.5),
        (4096, "uniform", 0.1, 0.5),
        (2048, "uniform", 0.1, 0.5),
        (1024, "normal", 0.1, 0.5),
        (500, "normal", 0.0, 0.2),
    ]
    first_width = 500 // width_divisor
    layers = [keras_dense(n_in, first_width), nn.ReLU(), keras_batch_norm(first_width), nn.Dropout(0.5)]
    penalties = []
    width_in = first_width
    for width, init, coefficient, dropout in hidden:
        width //= width_divisor
        dense = keras_dense(width_in, width, init)  # linear: no activation, as in the notebook
        if coefficient:
            penalties.append((dense.weight, coefficient))
        layers += [dense, keras_batch_norm(width), nn.Dropout(dropout)]
        width_in = width
    # Keras' PReLU: one slope per unit, initialised to 0.
    layers += [nn.PReLU(width_in, init=0.0), keras_dense(width_in, n_out)]
    return nn.Sequential(*layers), penalties


def keras_categorical_crossentropy(logits, one_hot):
    """Keras 2's categorical cross-entropy on a softmax output: probabilities clipped to [eps, 1 - eps].

    The clip caps a sample's loss at -log(1e-7) and stops its gradient once the
    network is that sure; torch's cross_entropy does neither.
    """
    probabilities = torch.softmax(logits, dim=1).clamp(KERAS_EPSILON, 1 - KERAS_EPSILON)
    return -(one_hot * probabilities.log()).sum(dim=1).mean()


def mean_squared_error_loss(outputs, targets):
    return ((outputs - targets) ** 2).mean()


def l2_penalty(penalties):
    # Keras' l2(c) adds c * sum(w ** 2) to the loss of every batch, so its
    # gradient flows through the optimizer (Adam's moments included), exactly
    # like a term of the loss here; torch's weight_decay would not be that for AdamW.
    return sum(coefficient * weight.pow(2).sum() for weight, coefficient in penalties)


def load(dataset):
    """X scaled on all rows; Y one-hot (classification) or the scaled target as a column."""
    loader, task = DATASETS[dataset]
    X, y = loader(return_X_y=True)
    X = scale(X).astype(np.float32)
    if task == "regression":
        return X, scale(y).astype(np.float32).reshape(-1, 1), task
    classes = np.unique(y)
    return X, (y[:, None] == classes[None, :]).astype(np.float32), task


def garson_of(module):
    """The notebook's Garson: the first and the output kernel, as (n_in, n_out) matrices."""
    linears = [layer for layer in module.modules() if isinstance(layer, nn.Linear)]
    return garson_paper(linears[0].weight.detach().double().numpy().T, linears[-1].weight.detach().double().numpy().T)


def train_paper_network(model, dataset, seed, quick=False):
    """Train one network as the notebook did; return its scores and training facts."""
    X, Y, task = load(dataset)
    classification = task == "classification"
    torch.manual_seed(seed)  # initial weights, dropout masks
    shuffler = np.random.default_rng(seed)  # the order of training rows in each epoch
    module, penalties = build_network(model, X.shape[1], Y.shape[1], width_divisor=16 if quick else 1)
    data_loss = keras_categorical_crossentropy if classification else mean_squared_error_loss
    if model == "DeepNN":
        optimizer = KerasAdam(module.parameters())
    else:
        optimizer = torch.optim.SGD(module.parameters(), lr=0.01)  # Keras' 'sgd': no momentum
    # Keras' validation_split: the last 5 % of rows, cut before any shuffling.
    n_train = int(len(X) * (1 - VALIDATION_FRACTION))
    X_all, Y_all = torch.from_numpy(X), torch.from_numpy(Y)
    X_train, Y_train, X_valid, Y_valid = X_all[:n_train], Y_all[:n_train], X_all[n_train:], Y_all[n_train:]
    batch_size = round(len(X) / BATCHES_PER_EPOCH)
    max_epochs = (20 if classification else 10) if quick else MAX_EPOCHS[task]
    first_layer = next(layer for layer in module.modules() if isinstance(layer, nn.Linear))

    paper_moments = RunningMoments()  # the notebook's VIANN: samples from the end of epoch 1
    library_tracker = VarianceImportanceTorch(module)  # this package's: the initial weights count too
    library_tracker.on_train_begin()
    started = time.perf_counter()
    valid_score = float("nan")
    for epoch in range(max_epochs):
        module.train()
        order = torch.from_numpy(shuffler.permutation(n_train))
        for start in range(0, n_train, batch_size):  # Keras' batches: full ones, then the rest
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = data_loss(module(X_train[batch]), Y_train[batch]) + l2_penalty(penalties)
            loss.backward()
            optimizer.step()
        paper_moments.update(first_layer.weight)
        library_tracker.on_epoch_end()
        module.eval()
        with torch.inference_mode():
            outputs = module(X_valid)
        if classification:
            valid_score = float((outputs.argmax(1) == Y_valid.argmax(1)).float().mean())
            if valid_score > STOP_ACCURACY and epoch > STOP_AFTER_EPOCH_INDEX:
                break
        else:
            valid_score = float(mean_squared_error_loss(outputs, Y_valid))
    seconds = time.perf_counter() - started
    library_tracker.on_train_end()
    epochs = epoch + 1

    viann = viann_scores(paper_moments.variance(), first_layer.weight.detach()).numpy()

    def loss_on(rows):  # Keras' model.evaluate: the data loss plus the L2 terms, in inference mode
        module.eval()
        with torch.inference_mode():
            return float(data_loss(module(torch.from_numpy(rows)), Y_all) + l2_penalty(penalties))

    scores = {
        "viann": viann,
        "lofo": lofo_losses(loss_on, X),
        "garson": garson_of(module),
        "rf": forest_importances(X, Y, task, seed),
        "viann_library": library_tracker.scores_,
    }
    facts = {
        "model": model,
        "dataset": dataset,
        "seed": seed,
        "epochs": epochs,
        "seconds": seconds,
        "valid_score": valid_score,
    }
    return facts, scores


def train_library_defaults(dataset, seed):
    """This package's estimator with its defaults on the same data; LOFO with its own loss."""
    X, Y, task = load(dataset)
    classification = task == "classification"
    y = Y.argmax(1) if classification else Y.ravel()
    estimator = (VIANNClassifier if classification else VIANNRegressor)(random_state=seed)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    seconds = time.perf_counter() - started
    if classification:
        loss_on = lambda rows: log_loss(y, estimator.predict_proba(rows), labels=estimator.classes_)
        valid_score = float((estimator.predict(X) == y).mean())
    else:
        loss_on = lambda rows: mean_squared_error(y, estimator.predict(rows))
        valid_score = float(estimator.score(X, y))
    coefs = estimator.coefs_
    # The notebook's Garson needs the first hidden width to equal the last; otherwise the
    # multi-layer extension (see peer_methods.garson).
    garson_scores = garson_paper(coefs[0], coefs[-1]) if coefs[0].shape[1] == coefs[-1].shape[0] else garson(coefs)
    scores = {
        "viann": estimator.feature_importances_,
        "lofo": lofo_losses(loss_on, X),
        "garson": garson_scores,
        "rf": forest_importances(X, Y, task, seed),
    }
    facts = {
        "model": "defaults",
        "dataset": dataset,
        "seed": seed,
        "epochs": estimator.n_iter_,
        "seconds": seconds,
        "valid_score": valid_score,
    }
    return facts, scores


def forest_importances(X, Y, task, seed):
    """100 trees on the same X and Y as the network (one-hot Y: a multi-output forest, as in the notebook)."""
    forest_class = RandomForestClassifier if task == "classification" else RandomForestRegressor
    return (
        forest_class(n_estimators=100, random_state=seed)
        .fit(X, Y if Y.shape[1] > 1 else Y.ravel())
        .feature_importances_
    )


def pearson(a, b):
    return float(np.corrcoef(a, b)[0, 1])


def correlations(scores):
    row = {
        "viann_vs_lofo": pearson(scores["viann"], scores["lofo"]),
        "viann_vs_rf": pearson(scores["viann"], scores["rf"]),
        "garson_vs_lofo": pearson(scores["garson"], scores["lofo"]),
        "garson_vs_viann": pearson(scores["garson"], scores["viann"]),
    }
    if "viann_library" in scores:
        row["viann_library_vs_lofo"] = pearson(scores["viann_library"], scores["lofo"])
    return row


def append_rows(path, fields, rows):
    """Append rows in one write: several processes (each its own seeds) may share the files."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fields, extrasaction="ignore")
    if not path.exists():
        writer.writeheader()
    writer.writerows(rows)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, text.getvalue().encode())
    finally:
        os.close(descriptor)


def read_rows(path):
    """Stored rows; a run stored twice (two processes given overlapping seeds) counts once."""
    if not path.exists():
        return []
    with open(path) as handle:
        rows, seen = [], set()
        for row in csv.DictReader(handle):
            key = tuple(row[name] for name in ("model", "dataset", "seed", "feature") if name in row)
            if key not in seen:
                seen.add(key)
                rows.append(row)
        return rows


def read_paper_table():
    with open(PAPER_TABLE) as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {(row["model"], row["dataset"]): {name: float(row[name]) for name in CORRELATIONS} for row in rows}


def versions():
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return (
        f"viann-sklearn at git {commit}, Python {platform.python_version()}, torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}"
    )


def paper_table(runs, paper):
    """Mean ± std per cell beside the paper's number, and how many seeds fall above it."""
    header = ["model", "dataset", "seeds", "epochs (median)", *CORRELATIONS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for model in MODELS:
        for dataset in [*DATASETS, "boston"]:
            published = paper.get((model, dataset))
            group = [run for run in runs if run["model"] == model and run["dataset"] == dataset]
            if not group:
                if dataset == "boston" and published:
                    cells = [f"not run / {published[name]:.2f}" for name in CORRELATIONS]
                    lines.append(f"| {model} | boston (removed from scikit-learn) | | | " + " | ".join(cells) + " |")
                continue
            cells = []
            for name in CORRELATIONS:
                values = np.array([float(run[name]) for run in group])
                cells.append(
                    f"{values.mean():.2f} ± {values.std(ddof=1) if len(values) > 1 else 0:.2f} / {published[name]:.2f}"
                )
            epochs = np.median([int(run["epochs"]) for run in group])
            lines.append(f"| {model} | {dataset} | {len(group)} | {epochs:.0f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def paired_comparison(runs, paper):
    """Per correlation: cells where every seed's value lies above (below) the paper's, and the mean gap.

    A cell counts as above (below) only when the paper's single number lies
    outside the range our seeds span, i.e. beyond seed noise; otherwise it is
    within. The mean gap over cells, with a paired t-interval over the cells,
    says whether we sit above or below the paper overall.
    """
    header = [
        "correlation",
        "ours (mean of cells)",
        "paper (mean of cells)",
        "mean gap, 95 % CI over cells",
        "cells above the paper",
        "within seed range",
        "cells below the paper",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    details = []
    from scipy.stats import t as student_t

    for name in CORRELATIONS:
        gaps, above, below, within = [], [], [], 0
        ours_means, theirs = [], []
        for (model, dataset), published in paper.items():
            values = np.array([float(run[name]) for run in runs if run["model"] == model and run["dataset"] == dataset])
            if not len(values):
                continue
            ours_means.append(values.mean())
            theirs.append(published[name])
            gaps.append(values.mean() - published[name])
            if values.min() > published[name]:
                above.append(f"{model}/{dataset}")
            elif values.max() < published[name]:
                below.append(f"{model}/{dataset}")
            else:
                within += 1
        gaps = np.array(gaps)
        half_width = student_t.ppf(0.975, len(gaps) - 1) * gaps.std(ddof=1) / np.sqrt(len(gaps))
        lines.append(
            f"| {name} | {np.mean(ours_means):.2f} | {np.mean(theirs):.2f} | "
            f"{gaps.mean():+.2f} [{gaps.mean() - half_width:+.2f}, {gaps.mean() + half_width:+.2f}] | "
            f"{len(above)} | {within} | {len(below)} |"
        )
        details.append(f"- {name}: above in {', '.join(above) or 'none'}; below in {', '.join(below) or 'none'}.")
    return "\n".join(lines) + "\n\n" + "\n".join(details)


def expected_outside(runs):
    """Cells expected outside the seeds' range by chance: a new draw falls outside n draws' range with p = 2/(n+1)."""
    counts = {}
    for run in runs:
        counts[run["model"], run["dataset"]] = counts.get((run["model"], run["dataset"]), 0) + 1
    return sum(2 / (n + 1) for n in counts.values())


def defaults_table(runs):
    header = ["dataset", "seeds", "epochs (median)", "train score", *CORRELATIONS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for dataset in DATASETS:
        group = [run for run in runs if run["dataset"] == dataset]
        if not group:
            continue
        cells = []
        for name in CORRELATIONS:
            values = np.array([float(run[name]) for run in group])
            cells.append(f"{values.mean():.2f} ± {values.std(ddof=1) if len(values) > 1 else 0:.2f}")
        epochs = np.median([int(run["epochs"]) for run in group])
        score = np.mean([float(run["valid_score"]) for run in group])
        lines.append(f"| {dataset} | {len(group)} | {epochs:.0f} | {score:.3f} | " + " | ".join(cells) + " |")
    means = [f"{np.mean([float(run[name]) for run in runs]):.2f}" for name in CORRELATIONS]
    lines.append("| **mean** | | | | " + " | ".join(means) + " |")
    return "\n".join(lines)


def scatter_plot(feature_rows, path, seed):
    """VIANN against LOFO per feature, one panel per network, as in the paper's figure."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(1, len(MODELS), figsize=(4.2 * len(MODELS), 3.8), squeeze=False)
    for ax, model in zip(axes[0], MODELS):
        for dataset in DATASETS:
            rows = [
                row
                for row in feature_rows
                if row["model"] == model and row["dataset"] == dataset and int(row["seed"]) == seed
            ]
            if not rows:
                continue
            viann = np.array([float(row["viann"]) for row in rows])
            lofo = np.array([float(row["lofo"]) for row in rows])
            # min-max scaled, each dataset on its own, as the notebook's var_scores were
            ax.scatter(
                min_max(viann), min_max(lofo), s=12, alpha=0.7, label=f"{dataset} (r={pearson(viann, lofo):.2f})"
            )
        ax.set(title=f"{model}, seed {seed}", xlabel="VIANN (min-max scaled)", ylabel="LOFO loss (min-max scaled)")
        ax.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def min_max(values):
    spread = np.ptp(values)
    return (values - values.min()) / spread if spread else np.zeros_like(values)


def feature_rows_of(facts, scores):
    return [
        {**facts, "feature": i, **{name: scores[name][i] for name in ("viann", "lofo", "garson", "rf")}}
        for i in range(len(scores["viann"]))
    ]


def report():
    runs = read_rows(RUNS_CSV)
    if not runs:
        return "No stored runs: run the experiment first."
    paper = read_paper_table()
    # A network's seed counts only once it has run on every dataset: an
    # interrupted seed would weigh some of its cells more than others.
    complete = {
        (model, seed)
        for model in MODELS
        for seed in {int(run["seed"]) for run in runs}
        if set(DATASETS) <= {run["dataset"] for run in runs if run["model"] == model and int(run["seed"]) == seed}
    }
    runs = [run for run in runs if (run["model"], int(run["seed"])) in complete]
    if not runs:
        return "No network has run on every dataset with one seed yet."
    seeds_of = {model: sorted(seed for name, seed in complete if name == model) for model in MODELS}
    seed_lines = "; ".join(
        f"{model}: {len(seeds)} seeds ({', '.join(map(str, seeds))})" for model, seeds in seeds_of.items()
    )
    provenance = PROVENANCE.read_text().strip() if PROVENANCE.exists() else "(not recorded)"
    n_cells = len({(run["model"], run["dataset"]) for run in runs})
    library = np.array([float(run["viann_library_vs_lofo"]) for run in runs])
    notebook = np.array([float(run["viann_vs_lofo"]) for run in runs])
    text = (
        f"Produced by (one line per process; each appends its runs):\n\n{provenance}\n\n"
        f"{seed_lines}; one CPU thread per process. Cells: *ours, mean ± std "
        f"over seeds / the paper's single run* (numpy seeded with 42, TensorFlow not seeded: not "
        f"reproducible).\n\n{paper_table(runs, paper)}\n\n"
        f"Paired over the {n_cells} cells (boston left out). The gap is ours minus the paper's, per cell; its "
        f"interval is a paired t-interval over the cells. A cell is above or below only when the paper's "
        f"number lies outside the range of our seeds; were the paper's runs drawn like ours, that would "
        f"happen by chance in {expected_outside(runs):.1f} of the {n_cells} cells per column (2/(n+1) for n seeds)."
        f"\n\n{paired_comparison(runs, paper)}\n\n"
        f"VIANN as this package computes it (the initial weights counted as a sample) against LOFO, same runs: "
        f"{library.mean():.3f} on average, against {notebook.mean():.3f} for the notebook's VIANN; the largest "
        f"difference in one run is {np.abs(library - notebook).max():.3f}. Per network (package / notebook): "
        + "; ".join(
            f"{model} {np.mean([float(run['viann_library_vs_lofo']) for run in runs if run['model'] == model]):.3f}"
            f" / {np.mean([float(run['viann_vs_lofo']) for run in runs if run['model'] == model]):.3f}"
            for model in MODELS
            if any(run["model"] == model for run in runs)
        )
        + ".\n"
    )
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="1 seed, iris and diabetes, a small DeepNN, few epochs")
    mode.add_argument("--defaults-only", action="store_true", help="only the library's estimators with their defaults")
    mode.add_argument("--report-only", action="store_true", help="tables and figure from the stored CSVs")
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds, 0 to N-1 (default: 10)")
    parser.add_argument("--first-seed", type=int, default=0, help="start at this seed (to add seeds to a stored run)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    command = "python benchmarks/paper_experiment.py " + " ".join(argv if argv is not None else sys.argv[1:])
    started = time.perf_counter()

    if args.report_only:
        text = report()
        print(text)
        (RESULTS / "paper_experiment.md").write_text(text)
        feature_rows = read_rows(FEATURES_CSV)
        if feature_rows and scatter_plot(feature_rows, FIGURE, seed=0):
            print(f"Figure: {FIGURE.relative_to(ROOT)}")
        return

    if args.quick:
        runs = []
        for model in args.models:
            for dataset in ("iris", "diabetes"):
                facts, scores = train_paper_network(model, dataset, 0, quick=True)
                runs.append({**facts, **correlations(scores)})
        for dataset in ("iris", "diabetes"):
            facts, scores = train_library_defaults(dataset, 0)
            runs.append({**facts, **correlations(scores)})
        print(paper_table([run for run in runs if run["model"] != "defaults"], read_paper_table()))
        print(defaults_table([run for run in runs if run["model"] == "defaults"]))
        return

    seeds = range(args.first_seed, args.first_seed + args.seeds)
    RESULTS.mkdir(exist_ok=True)
    if args.defaults_only:
        DEFAULTS_CSV.unlink(missing_ok=True)
        runs = []
        for seed in seeds:
            for dataset in DATASETS:
                facts, scores = train_library_defaults(dataset, seed)
                runs.append({**facts, **correlations(scores)})
        append_rows(DEFAULTS_CSV, RUN_FIELDS, runs)
        text = (
            f"Command: `{command}` (took {time.perf_counter() - started:.0f} s). Seeds {seeds[0]}–{seeds[-1]}; "
            f"{versions()}. `VIANNClassifier`/`VIANNRegressor` with their defaults (`random_state=seed`), "
            f"fitted on all rows; train score is accuracy or R² on those rows; LOFO uses the estimator's "
            f"log-loss or squared error. Cells: mean ± std over seeds.\n\n{defaults_table(runs)}\n"
        )
        print(text)
        (RESULTS / "paper_experiment_defaults.md").write_text(text)
        return

    if args.first_seed == 0:  # a fresh experiment; later seeds are added to the stored one
        for path in (RUNS_CSV, FEATURES_CSV, PROVENANCE):
            path.unlink(missing_ok=True)
    # Seeds outermost: an interrupted run still covers every cell.
    for seed in seeds:
        for model in args.models:
            for dataset in DATASETS:
                facts, scores = train_paper_network(model, dataset, seed)
                row = {**facts, **correlations(scores)}
                append_rows(RUNS_CSV, RUN_FIELDS, [row])
                append_rows(FEATURES_CSV, FEATURE_FIELDS, feature_rows_of(facts, scores))
                print(
                    f"seed {seed} {model} {dataset}: {facts['epochs']} epochs, {facts['seconds']:.0f} s, "
                    f"VIANN vs LOFO {row['viann_vs_lofo']:.2f}",
                    flush=True,
                )
    with open(PROVENANCE, "a") as handle:
        handle.write(
            f"- `{command}`: seeds {seeds[0]}–{seeds[-1]}, models {' '.join(args.models)}, took "
            f"{time.perf_counter() - started:.0f} s, finished {time.strftime('%Y-%m-%d %H:%M')}; "
            f"{versions()}\n"
        )
    text = report()
    print(text)
    (RESULTS / "paper_experiment.md").write_text(text)
    if scatter_plot(read_rows(FEATURES_CSV), FIGURE, seed=seeds[0]):
        print(f"Figure: {FIGURE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
