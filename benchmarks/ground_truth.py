"""Do importances find the features that matter? Synthetic data with known informative features.

Every generator makes informative columns (the target depends on them) and
noise columns (it does not). A method's quality is the ROC-AUC of its scores
at telling the two apart: 1.0 ranks every informative feature above every
noise feature, 0.5 is chance.

Methods, on the same fitted network unless said otherwise:

- VIANN with ``importance_on="epoch"`` (free with the fit) and ``"batch"`` (a
  second fit, with batch tracking; its cost is that fit's extra time);
- permutation importance (``n_repeats=5``, on held-out rows);
- Garson's and Olden's weight methods (``benchmarks/peer_methods.py``);
- a random forest's impurity importances (a second model; its fit is its cost);
- Integrated Gradients averaged over the held-out rows (absolute values, baseline the
  training mean), when captum is installed (``pip install captum``; benchmark-only).

Generators are split in two. The *tuning* ones were used to choose the
estimators' defaults (``--candidates`` prints that comparison); the
*held-out* ones were written before the choice and looked at only after it,
so they say how well the defaults carry over.

Usage::

    python benchmarks/ground_truth.py               # all generators, 3 seeds, a few minutes
    python benchmarks/ground_truth.py --quick       # one seed, small data: a smoke test
    python benchmarks/ground_truth.py --candidates  # candidate defaults on the tuning generators

Tables are printed and written to ``benchmarks/results/``.
"""

import argparse
import importlib.util
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from peer_methods import garson, integrated_gradients, olden
from sklearn.datasets import make_classification, make_friedman1
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from viann_sklearn import VIANNClassifier, VIANNRegressor

RESULTS = Path(__file__).resolve().parent / "results"
HAS_CAPTUM = importlib.util.find_spec("captum") is not None
N_FEATURES = 20

warnings.simplefilter("ignore", ConvergenceWarning)


@dataclass
class Generator:
    name: str
    task: str  # "classification" or "regression"
    make: callable  # make(rng, n_samples) -> X, y, informative (bool mask)
    held_out: bool


def _noise_columns(rng, n_samples, n_informative):
    return rng.normal(size=(n_samples, N_FEATURES - n_informative))


def _in_mixed_units(rng, X):
    # Each column in its own unit, from 1e-3 to 1e3 times the original.
    return X * 10.0 ** rng.uniform(-3, 3, size=X.shape[1])


def linear_logistic(rng, n_samples):
    informative = rng.normal(size=(n_samples, 6))
    logits = informative @ np.array([2.0, -1.5, 1.2, -1.0, 0.8, 0.6])
    y = (logits + 0.5 * rng.normal(size=n_samples) > 0).astype(int)
    return np.hstack([informative, _noise_columns(rng, n_samples, 6)]), y, np.arange(N_FEATURES) < 6


def friedman1(rng, n_samples):
    X, y = make_friedman1(n_samples, n_features=N_FEATURES, noise=1.0, random_state=rng.integers(2**31))
    return X, y, np.arange(N_FEATURES) < 5


def xor_interaction(rng, n_samples):
    informative = rng.normal(size=(n_samples, 3))
    y = (informative[:, 0] * informative[:, 1] + 0.5 * informative[:, 2] > 0).astype(int)
    return np.hstack([informative, _noise_columns(rng, n_samples, 3)]), y, np.arange(N_FEATURES) < 3


def mixed_units_regression(rng, n_samples):
    informative = rng.normal(size=(n_samples, 4))
    y = (
        informative[:, 0]
        + 2 * np.sin(informative[:, 1])
        + informative[:, 2] * informative[:, 3]
        + 0.3 * rng.normal(size=n_samples)
    )
    X = np.hstack([informative, _noise_columns(rng, n_samples, 4)])
    return _in_mixed_units(rng, X), y, np.arange(N_FEATURES) < 4


# Held out: written before the defaults were chosen, evaluated only after.
def hypercube_clusters(rng, n_samples):
    X, y = make_classification(
        n_samples,
        n_features=N_FEATURES,
        n_informative=5,
        n_redundant=0,
        n_repeated=0,
        n_clusters_per_class=2,
        shuffle=False,
        random_state=rng.integers(2**31),
    )
    return X, y, np.arange(N_FEATURES) < 5


def sine_threshold_mixed_units(rng, n_samples):
    informative = rng.normal(size=(n_samples, 3))
    score = np.sin(2 * informative[:, 0]) + informative[:, 1] ** 2 - 1 + 0.8 * informative[:, 2]
    y = (score + 0.3 * rng.normal(size=n_samples) > 0).astype(int)
    X = np.hstack([informative, _noise_columns(rng, n_samples, 3)])
    return _in_mixed_units(rng, X), y, np.arange(N_FEATURES) < 3


def additive_nonlinear(rng, n_samples):
    informative = rng.normal(size=(n_samples, 5))
    y = (
        informative[:, 0] ** 2
        + np.abs(informative[:, 1])
        + np.exp(informative[:, 2] / 2)
        + np.tanh(2 * informative[:, 3])
        + informative[:, 4]
        + 0.3 * rng.normal(size=n_samples)
    )
    return np.hstack([informative, _noise_columns(rng, n_samples, 5)]), y, np.arange(N_FEATURES) < 5


def correlated_blocks(rng, n_samples):
    # Informative columns correlated among themselves (0.5), noise columns too.
    def block(width):
        shared = rng.normal(size=(n_samples, 1))
        return np.sqrt(0.5) * shared + np.sqrt(0.5) * rng.normal(size=(n_samples, width))

    informative, noise = block(4), block(N_FEATURES - 4)
    y = informative @ np.array([1.0, -1.0, 0.7, 0.5]) + 0.5 * rng.normal(size=n_samples)
    return np.hstack([informative, noise]), y, np.arange(N_FEATURES) < 4


GENERATORS = [
    Generator("linear_logistic", "classification", linear_logistic, held_out=False),
    Generator("friedman1", "regression", friedman1, held_out=False),
    Generator("xor_interaction", "classification", xor_interaction, held_out=False),
    Generator("mixed_units_regression", "regression", mixed_units_regression, held_out=False),
    Generator("hypercube_clusters", "classification", hypercube_clusters, held_out=True),
    Generator("sine_threshold_mixed_units", "classification", sine_threshold_mixed_units, held_out=True),
    Generator("additive_nonlinear", "regression", additive_nonlinear, held_out=True),
    Generator("correlated_blocks", "regression", correlated_blocks, held_out=True),
]

# What was compared to choose the defaults (--candidates). Each is a set of
# estimator parameters on top of the current defaults.
CANDIDATES = {
    "MLPClassifier-like (old defaults)": dict(standardize=False, alpha=1e-4),
    "+ standardize": dict(alpha=1e-4),
    "+ standardize, alpha=1": dict(alpha=1.0),
    "+ standardize, alpha=1, init 0.05": dict(alpha=1.0, weight_init=0.05),
    "+ standardize, alpha=3, init 0.05": dict(alpha=3.0, weight_init=0.05),
    "+ standardize, alpha=10": dict(alpha=10.0),
    "+ standardize, sgd lr 0.01, alpha=0.1, init 0.05": dict(
        solver="sgd", learning_rate_init=0.01, alpha=0.1, weight_init=0.05
    ),
    "+ standardize, sgd lr 0.01, alpha=1": dict(solver="sgd", learning_rate_init=0.01, alpha=1.0),
    "+ standardize, sgd lr 0.01, alpha=1, init 0.05": dict(
        solver="sgd", learning_rate_init=0.01, alpha=1.0, weight_init=0.05
    ),
    "+ standardize, sgd lr 0.01, alpha=3, init 0.05": dict(
        solver="sgd", learning_rate_init=0.01, alpha=3.0, weight_init=0.05
    ),
}


def make_data(generator, seed, n_samples):
    rng = np.random.default_rng(seed)
    X, y, informative = generator.make(rng, n_samples)
    if generator.task == "regression":
        y = (y - y.mean()) / y.std()  # our estimator does it itself; MLPRegressor needs it
    stratify = y if generator.task == "classification" else None
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=stratify)
    return X_train, X_test, y_train, y_test, informative


def viann(task, **params):
    return (VIANNClassifier if task == "classification" else VIANNRegressor)(**params)


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def evaluate_methods(generator, seed, n_samples, estimator_params):
    """AUC of every method and its cost beyond the fit, on one dataset."""
    X_train, X_test, y_train, y_test, informative = make_data(generator, seed, n_samples)
    net, fit_seconds = timed(lambda: viann(generator.task, random_state=seed, **estimator_params).fit(X_train, y_train))
    batch_net, batch_seconds = timed(
        lambda: viann(generator.task, random_state=seed, importance_on="batch", **estimator_params).fit(
            X_train, y_train
        )
    )
    permutation, permutation_seconds = timed(
        lambda: permutation_importance(net, X_test, y_test, n_repeats=5, random_state=seed).importances_mean
    )
    # Garson and Olden read the weights of the standardised inputs when the
    # net standardises: both then compare columns on the same scale.
    garson_scores, garson_seconds = timed(lambda: garson(net.coefs_))
    olden_scores, olden_seconds = timed(lambda: olden(net.coefs_))
    forest_class = RandomForestClassifier if generator.task == "classification" else RandomForestRegressor
    forest, forest_seconds = timed(lambda: forest_class(n_estimators=200, random_state=seed).fit(X_train, y_train))
    reference = mlp_reference(generator.task, seed).fit(X_train, y_train)
    if HAS_CAPTUM:
        targets = net.predict(X_test) if generator.task == "classification" else None
        targets = None if targets is None else np.searchsorted(net.classes_, targets)
        gradients, gradients_seconds = timed(
            lambda: integrated_gradients(net.net_.module_, X_test, X_train.mean(axis=0), targets)
        )
    scores = {
        "VIANN epoch": (net.feature_importances_, 0.0),
        "VIANN batch": (batch_net.feature_importances_, batch_seconds - fit_seconds),
        "permutation": (permutation, permutation_seconds),
        "Garson": (garson_scores, garson_seconds),
        "Olden": (olden_scores, olden_seconds),
        "random forest": (forest.feature_importances_, forest_seconds),
    }
    if HAS_CAPTUM:
        scores["Integrated Gradients"] = (gradients, gradients_seconds)
    return {
        "auc": {method: roc_auc_score(informative, values) for method, (values, _) in scores.items()},
        "seconds": {method: seconds for method, (_, seconds) in scores.items()},
        "fit_seconds": fit_seconds,
        "test_score": net.score(X_test, y_test),
        "mlp_test_score": reference.score(X_test, y_test),
        "rescaled_rank_kept": rescaling_keeps_ranks(generator, seed, estimator_params, X_train, y_train, net),
    }


def rescaling_keeps_ranks(generator, seed, estimator_params, X_train, y_train, net):
    """Multiply one column (the top-ranked one) by 1000: do the importance ranks stay the same?"""
    column = int(np.argmax(net.feature_importances_))
    rescaled = X_train.copy()
    rescaled[:, column] *= 1000.0
    refit = viann(generator.task, random_state=seed, **estimator_params).fit(rescaled, y_train)
    return bool(np.array_equal(np.argsort(net.feature_importances_), np.argsort(refit.feature_importances_)))


def viann_auc_only(generator, seed, n_samples, estimator_params):
    X_train, X_test, y_train, y_test, informative = make_data(generator, seed, n_samples)
    net = viann(generator.task, random_state=seed, **estimator_params).fit(X_train, y_train)
    return roc_auc_score(informative, net.feature_importances_), net.score(X_test, y_test), net.n_iter_


def mlp_reference(task, seed):
    """scikit-learn's MLP with its defaults behind a StandardScaler: the accuracy to keep."""
    mlp_class = MLPClassifier if task == "classification" else MLPRegressor
    return make_pipeline(StandardScaler(), mlp_class(random_state=seed))


def reference_score(generator, seed, n_samples):
    X_train, X_test, y_train, y_test, _ = make_data(generator, seed, n_samples)
    return mlp_reference(generator.task, seed).fit(X_train, y_train).score(X_test, y_test)


def format_table(header, rows):
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(cell).ljust(width) for cell, width in zip(cells, widths)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (width + 2) for width in widths) + "|", *map(line, rows)])


def run_candidates(seeds, n_samples):
    tuning = [generator for generator in GENERATORS if not generator.held_out]
    header = ["candidate", *[generator.name for generator in tuning], "mean AUC", "min AUC", "accuracy", "R²", "epochs"]

    def score_cells(scores_by_generator):
        by_task = {
            task: [
                score
                for generator, scores in zip(tuning, scores_by_generator)
                if generator.task == task
                for score in scores
            ]
            for task in ("classification", "regression")
        }
        return [f"{np.mean(by_task['classification']):.3f}", f"{np.mean(by_task['regression']):.3f}"]

    rows = []
    for label, params in CANDIDATES.items():
        aucs, per_generator, scores, epochs = [], [], [], []
        for generator in tuning:
            results = [viann_auc_only(generator, seed, n_samples, params) for seed in seeds]
            per_generator.append(f"{np.mean([auc for auc, _, _ in results]):.3f}")
            aucs += [auc for auc, _, _ in results]
            scores.append([score for _, score, _ in results])
            epochs += [n_iter for _, _, n_iter in results]
        rows.append(
            [
                label,
                *per_generator,
                f"{np.mean(aucs):.3f}",
                f"{np.min(aucs):.3f}",
                *score_cells(scores),
                f"{np.mean(epochs):.0f}",
            ]
        )
        print(f"  done: {label}", flush=True)
    reference = [[reference_score(generator, seed, n_samples) for seed in seeds] for generator in tuning]
    rows.append(["scikit-learn MLP, defaults, standardised", *[""] * len(tuning), "", "", *score_cells(reference), ""])
    return format_table(header, rows)


def run_methods(seeds, n_samples):
    methods = [
        "VIANN epoch",
        "VIANN batch",
        "permutation",
        "Garson",
        "Olden",
        "random forest",
        *(["Integrated Gradients"] if HAS_CAPTUM else []),
    ]
    header = ["generator", "task", *methods, "net score", "MLP score", "x1000 keeps ranks"]
    sections = []
    for held_out in (False, True):
        rows, seconds = [], {method: [] for method in methods}
        group_aucs = {method: [] for method in methods}
        for generator in [generator for generator in GENERATORS if generator.held_out == held_out]:
            results = [evaluate_methods(generator, seed, n_samples, {}) for seed in seeds]
            cells = []
            for method in methods:
                aucs = [result["auc"][method] for result in results]
                group_aucs[method] += aucs
                seconds[method] += [result["seconds"][method] for result in results]
                cells.append(f"{np.mean(aucs):.3f} ± {np.std(aucs):.3f}")
            rows.append(
                [
                    generator.name,
                    generator.task,
                    *cells,
                    f"{np.mean([result['test_score'] for result in results]):.3f}",
                    f"{np.mean([result['mlp_test_score'] for result in results]):.3f}",
                    f"{sum(result['rescaled_rank_kept'] for result in results)}/{len(results)}",
                ]
            )
            print(f"  done: {generator.name}", flush=True)
        rows.append(["**mean**", "", *[f"{np.mean(group_aucs[method]):.3f}" for method in methods], "", "", ""])
        rows.append(["**min (one run)**", "", *[f"{np.min(group_aucs[method]):.3f}" for method in methods], "", "", ""])
        rows.append(
            ["seconds beyond the fit", "", *[f"{np.mean(seconds[method]):.3f}" for method in methods], "", "", ""]
        )
        title = "Held-out generators" if held_out else "Tuning generators"
        sections.append(f"### {title}\n\n" + format_table(header, rows))
    return "\n\n".join(sections)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed, 300 rows: a smoke test")
    parser.add_argument("--candidates", action="store_true", help="compare candidate defaults (VIANN only)")
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (default: 3)")
    args = parser.parse_args(argv)
    seeds = range(1 if args.quick else args.seeds)
    n_samples = 300 if args.quick else 1000
    started = time.perf_counter()
    if args.candidates:
        table = run_candidates(seeds, n_samples)
        name = "ground_truth_candidates"
    else:
        table = run_methods(seeds, n_samples)
        name = "ground_truth"
    header = (
        f"{len(seeds)} seed(s), {n_samples} rows x {N_FEATURES} features each, 25 % held out; "
        f"ROC-AUC of informative vs noise features, mean ± std over seeds. "
        f"Took {time.perf_counter() - started:.0f} s."
    )
    report = f"{header}\n\n{table}\n"
    print(report)
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{name}.md").write_text(report)


if __name__ == "__main__":
    main()
