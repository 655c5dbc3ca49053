"""The VIANN paper's table (de Sá 2019), reproduced with several seeds beside the published numbers.

The original ``full_experiment.py``, done properly. For each of the paper's
networks and datasets, a skorch net with our ``VarianceImportance`` and
``MetricThreshold`` callbacks is trained as the paper did, and four Pearson
correlations are computed:

- VIANN vs LOFO (the model's loss with one feature set to 0, no retraining);
- VIANN vs a random forest's impurity importances;
- Garson vs LOFO, and Garson vs VIANN.

Networks (torch modules built here):

- NN1: Dense 50-100-50, linear activations, L2 0.01 on the weights, SGD lr 0.01;
- NN2: the same with ReLU;
- DeepNN: 500-1024-2048-4096-2048-1024-500, each followed by BatchNorm, ReLU and
  Dropout(0.2) (the rate is not published; 0.2 is our choice), Adam lr 1e-3;
- defaults: not in the paper. ``VIANNClassifier``/``VIANNRegressor`` as a user
  gets them (one hidden layer of 100, the defaults chosen in
  ``benchmarks/ground_truth.py``, their own stopping rule), on the same data.

Data: breast_cancer, digits, iris, wine and diabetes, inputs standardised
(``sklearn.preprocessing.scale``), regression targets too. The paper's boston
dataset is no longer shipped by scikit-learn, so its rows are not reproduced.
5 % of the rows are held out for validation, the batch size is round(n / 7);
classification stops at validation accuracy 0.95 after 5 epochs (1000 at most),
regression trains 100 epochs. Garson reads only the Linear layers (BatchNorm
is skipped), as the paper's Keras code did.

Usage::

    python benchmarks/paper_experiment.py            # 5 seeds, all networks: about 10 minutes
    python benchmarks/paper_experiment.py --quick    # 1 seed, small DeepNN, few epochs: a smoke test

The table is printed and written to ``benchmarks/results/paper_experiment.md``,
with the per-run numbers in ``paper_experiment.csv``; when matplotlib is
installed, the VIANN-vs-LOFO scatter plot goes to ``docs/_static/``.
"""

import argparse
import csv
import functools
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from scipy.stats import pearsonr
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.preprocessing import scale
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.dataset import ValidSplit
from torch import nn

from peer_methods import garson, linear_coefs, lofo_loss_increase, torch_loss
from viann_sklearn import MetricThreshold, VarianceImportance, VIANNClassifier, VIANNRegressor

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PAPER_TABLE = ROOT / "benchmarks" / "reference" / "paper_table.csv"  # as published
DATASETS = {
    "breastcancer": (load_breast_cancer, "classification"),
    "digits": (load_digits, "classification"),
    "iris": (load_iris, "classification"),
    "wine": (load_wine, "classification"),
    "diabetes": (load_diabetes, "regression"),
}
MODELS = ("NN1", "NN2", "DeepNN", "defaults")
DEEP_WIDTHS = (500, 1024, 2048, 4096, 2048, 1024, 500)
CORRELATIONS = ("viann_vs_lofo", "viann_vs_rf", "garson_vs_lofo", "garson_vs_viann")


def build_module(model, n_in, n_out, quick=False):
    if model in ("NN1", "NN2"):
        activation = nn.Identity if model == "NN1" else nn.ReLU
        widths = (50, 100, 50)
        layers = []
        for width_in, width_out in zip((n_in, *widths), widths):
            layers += [nn.Linear(width_in, width_out), activation()]
    else:
        widths = tuple(width // 16 for width in DEEP_WIDTHS) if quick else DEEP_WIDTHS
        layers = []
        for width_in, width_out in zip((n_in, *widths), widths):
            layers += [nn.Linear(width_in, width_out), nn.BatchNorm1d(width_out), nn.ReLU(), nn.Dropout(0.2)]
    module = nn.Sequential(*layers, nn.Linear(widths[-1], n_out))
    for layer in module.modules():  # Keras' Dense defaults: Glorot-uniform kernels, zero biases
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return module


def optimizer_settings(model):
    if model == "DeepNN":
        return dict(optimizer=torch.optim.Adam, lr=1e-3)
    # Keras' l2(0.01) adds 0.01 * sum(w ** 2) to the loss: a decay of 0.02 * w, on kernels only.
    return dict(optimizer=torch.optim.SGD, lr=0.01, optimizer__weight_decay=0.02,
                optimizer__param_groups=[("*bias", {"weight_decay": 0.0})])


def load(dataset):
    loader, task = DATASETS[dataset]
    X, y = loader(return_X_y=True)
    X = scale(X).astype(np.float32)
    if task == "regression":
        return X, scale(y).astype(np.float32).reshape(-1, 1), task
    return X, y.astype(np.int64), task


def run_once(model, dataset, seed, quick):
    if model == "defaults":
        return run_estimator_defaults(dataset, seed, quick)
    X, y, task = load(dataset)
    torch.manual_seed(seed)
    classification = task == "classification"
    n_out = len(np.unique(y)) if classification else 1
    max_epochs = (1000 if classification else 100) if not quick else (20 if classification else 10)
    callbacks = [VarianceImportance()]
    if classification:  # after VarianceImportance, so that it sees the last epoch
        callbacks.append(MetricThreshold("valid_acc", 0.95, min_epochs=5))
    net_class = NeuralNetClassifier if classification else NeuralNetRegressor
    net = net_class(
        build_module(model, X.shape[1], n_out, quick),
        criterion=nn.CrossEntropyLoss if classification else nn.MSELoss,
        batch_size=round(len(X) / 7), max_epochs=max_epochs,
        train_split=ValidSplit(0.05, stratified=classification, random_state=seed),
        iterator_train__shuffle=True, callbacks=callbacks, verbose=0,
        **optimizer_settings(model),
    )
    started = time.perf_counter()
    net.fit(X, y)
    seconds = time.perf_counter() - started
    viann = dict(net.callbacks_)["VarianceImportance"].feature_importances_
    criterion = nn.CrossEntropyLoss() if classification else nn.MSELoss()
    lofo = lofo_loss_increase(torch_loss(net.module_, criterion, y), X)
    return correlations(model, dataset, seed, len(net.history), seconds,
                        viann=viann, lofo=lofo, garson_scores=garson(linear_coefs(net.module_)))


def run_estimator_defaults(dataset, seed, quick):
    X, y, task = load(dataset)
    y = y.ravel()
    classification = task == "classification"
    estimator = (VIANNClassifier if classification else VIANNRegressor)(random_state=seed,
                                                                      max_iter=20 if quick else 200)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    seconds = time.perf_counter() - started
    if classification:
        loss = lambda rows: log_loss(y, estimator.predict_proba(rows), labels=estimator.classes_)
    else:
        loss = lambda rows: mean_squared_error(y, estimator.predict(rows))
    return correlations("defaults", dataset, seed, estimator.n_iter_, seconds,
                        viann=estimator.feature_importances_, lofo=lofo_loss_increase(loss, X),
                        garson_scores=garson(estimator.coefs_))


@functools.lru_cache(maxsize=None)
def forest_importances(dataset, seed):
    """A random forest's impurity importances: the same for every network, so fitted once."""
    X, y, task = load(dataset)
    forest_class = RandomForestClassifier if task == "classification" else RandomForestRegressor
    return forest_class(n_estimators=100, random_state=seed).fit(X, y.ravel()).feature_importances_


def correlations(model, dataset, seed, epochs, seconds, *, viann, lofo, garson_scores):
    forest = forest_importances(dataset, seed)
    return {
        "model": model, "dataset": dataset, "seed": seed, "epochs": epochs, "seconds": seconds,
        "viann_vs_lofo": pearsonr(viann, lofo)[0], "viann_vs_rf": pearsonr(viann, forest)[0],
        "garson_vs_lofo": pearsonr(garson_scores, lofo)[0], "garson_vs_viann": pearsonr(garson_scores, viann)[0],
        "viann": viann, "lofo": lofo,
    }


def read_paper_table():
    with open(PAPER_TABLE) as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {(row["model"], row["dataset"]): row for row in rows}


def summarize(runs, paper):
    header = ["model", "dataset", "epochs", *[f"{name} (ours / paper)" for name in CORRELATIONS]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for model in MODELS:
        for dataset in [*DATASETS, "boston"]:
            published = paper.get((model, dataset), {})
            group = [run for run in runs if run["model"] == model and run["dataset"] == dataset]
            if not group:
                if dataset == "boston" and published:
                    cells = [f"not run / {published[name]}" for name in CORRELATIONS]
                    lines.append(f"| {model} | boston (removed from scikit-learn) | | " + " | ".join(cells) + " |")
                continue
            cells = []
            for name in CORRELATIONS:
                values = np.array([run[name] for run in group])
                cells.append(f"{np.nanmean(values):.2f} ± {np.nanstd(values):.2f} / {published.get(name, '–')}")
            epochs = np.mean([run["epochs"] for run in group])
            lines.append(f"| {model} | {dataset} | {epochs:.0f} | " + " | ".join(cells) + " |")
    overall = ["| **mean over the paper's rows** | | |"]
    for name in CORRELATIONS:
        ours = np.nanmean([run[name] for run in runs if (run["model"], run["dataset"]) in paper])
        theirs = np.mean([float(row[name]) for key, row in paper.items()
                          if any((run["model"], run["dataset"]) == key for run in runs)])
        overall.append(f" {ours:.2f} / {theirs:.2f} |")
    lines.append("".join(overall))
    return "\n".join(lines)


def scatter_plot(runs, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(1, len(MODELS), figsize=(4 * len(MODELS), 3.6), squeeze=False)
    for ax, model in zip(axes[0], MODELS):
        for dataset in DATASETS:
            group = [run for run in runs if run["model"] == model and run["dataset"] == dataset and run["seed"] == 0]
            for run in group:
                # each on its own scale, as the paper plotted min-max scaled scores
                lofo = (run["lofo"] - run["lofo"].min()) / np.ptp(run["lofo"]) if np.ptp(run["lofo"]) else run["lofo"]
                viann = run["viann"] / run["viann"].max()
                ax.scatter(lofo, viann, s=12, label=dataset, alpha=0.7)
        ax.set(title=model, xlabel="LOFO (scaled)", ylabel="VIANN (scaled)")
    axes[0][0].legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, iris and diabetes, small DeepNN, few epochs")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (default: 5)")
    args = parser.parse_args(argv)
    seeds = range(1 if args.quick else args.seeds)
    datasets = ("iris", "diabetes") if args.quick else tuple(DATASETS)
    started = time.perf_counter()
    runs = []
    for model in MODELS:
        for dataset in datasets:
            for seed in seeds:
                runs.append(run_once(model, dataset, seed, args.quick))
            took = sum(run["seconds"] for run in runs[-len(seeds):])
            print(f"  {model} {dataset}: {took:.0f} s of training", flush=True)
    table = summarize(runs, read_paper_table())
    report = (f"{len(seeds)} seed(s); Pearson correlations, mean ± std over seeds, beside the paper's single run "
              f"(seed 42). Took {time.perf_counter() - started:.0f} s.\n\n{table}\n")
    print(report)
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "paper_experiment.md").write_text(report)
        with open(RESULTS / "paper_experiment.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, ["model", "dataset", "seed", "epochs", "seconds", *CORRELATIONS],
                                    extrasaction="ignore")
            writer.writeheader()
            writer.writerows(runs)
        if scatter_plot(runs, ROOT / "docs" / "_static" / "viann_vs_lofo.png"):
            print("Scatter plot: docs/_static/viann_vs_lofo.png")


if __name__ == "__main__":
    main()
