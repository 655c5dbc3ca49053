"""How fast VIANNClassifier trains and predicts, and what its importances cost.

Compares, in one process, with runs alternated and medians of ratios reported:

1. ``fit`` of the same task -- MLP 50-100-50 ReLU, Adam lr 1e-3, 100 epochs, float32
   inputs standardised -- on breast_cancer and digits, batch 32 and 256, through:
   our estimator; a minimal hand-written PyTorch loop (the floor for this network,
   with torch's default Adam, and with fused Adam as ours uses); skorch's default
   ``NeuralNetClassifier``; scikit-learn's ``MLPClassifier``.
   Expected: ours <= 1.3x the loop and <= 1.0x MLPClassifier.
2. The tracking overhead: ``importance_on=None`` vs ``"epoch"`` vs ``"batch"``.
   Expected: <= 3 % (epoch) and <= 15 % (batch).
3. The cost of importances beyond the fit: VIANN (its tracking overhead) vs
   ``permutation_importance(n_repeats=5)`` on the fitted net vs leave-one-feature-out
   retraining (one refit per feature; timed on a few features and multiplied out),
   at small d (digits, 64 features) and large d (20,000 rows x 500 features).
4. A scale series, 10^4, 10^5 and 10^6 rows x 100 features (float32), one epoch at
   batch 256, each in a fresh process: time per epoch and peak memory. Expected:
   peak memory near one float32 copy of the data plus the model.
5. Predict throughput: ``predict_proba`` vs a bare ``model(X)`` in large chunks.
   Expected: within 1.5x.
6. The defaults: what ``standardize=True`` costs on the task of section 1, and
   the time per epoch of our default estimator (SGD) against ``MLPClassifier``'s
   defaults (Adam), one hidden layer of 100.

Usage::

    python benchmarks/speed.py            # the full run, a few minutes
    python benchmarks/speed.py --quick    # a smoke test of every section
    python benchmarks/speed.py --only-defaults   # section 6 alone, about a minute
"""

import argparse
import gc
import json
import subprocess
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import permutation_importance
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNetClassifier
from torch import nn

from viann_sklearn import VIANNClassifier

HIDDEN = (50, 100, 50)
LEARNING_RATE = 1e-3

warnings.simplefilter("ignore", ConvergenceWarning)  # fixed numbers of epochs, on purpose


def load(name):
    loader = {"breast_cancer": load_breast_cancer, "digits": load_digits}[name]
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X).astype(np.float32), y.astype(np.int64)


def torch_network(n_features, n_classes):
    widths = [n_features, *HIDDEN]
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(widths[-1], n_classes))


def hand_written_loop(X, y, batch_size, epochs, fused=False):
    torch.manual_seed(0)
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    model = torch_network(X.shape[1], int(y.max()) + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, **({"fused": True} if fused else {}))
    for _ in range(epochs):
        for batch in torch.split(torch.randperm(len(X)), batch_size):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
            optimizer.step()
    return model


def ours(X, y, batch_size, epochs, importance_on="epoch", standardize=False):
    # The same task as the loop's: Adam, Glorot initialisation, inputs already
    # standardised by load() (not the estimator's defaults, which train with SGD).
    return VIANNClassifier(
        hidden_layer_sizes=HIDDEN,
        batch_size=batch_size,
        max_iter=epochs,
        solver="adam",
        learning_rate_init=LEARNING_RATE,
        alpha=1e-4,
        weight_init="glorot_uniform",
        standardize=standardize,
        n_iter_no_change=np.inf,
        importance_on=importance_on,
        random_state=0,
    ).fit(X, y)


def skorch_default(X, y, batch_size, epochs):
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        torch_network(X.shape[1], int(y.max()) + 1),
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=LEARNING_RATE,
        batch_size=batch_size,
        max_epochs=epochs,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )
    return net.fit(X, y)


def mlp_classifier(X, y, batch_size, epochs):
    return MLPClassifier(
        hidden_layer_sizes=HIDDEN,
        batch_size=batch_size,
        max_iter=epochs,
        learning_rate_init=LEARNING_RATE,
        n_iter_no_change=np.inf,
        random_state=0,
    ).fit(X, y)


def warm_up():
    """One untimed tiny fit of every contender: first calls pay for lazy imports and setup."""
    X, y = load("breast_cancer")
    for contender in (ours, hand_written_loop, skorch_default, mlp_classifier):
        contender(X[:64], y[:64], 32, 1)


def alternate(contenders, rounds):
    """Seconds of each contender per round, run in rotating order.

    As ``timeit`` does, garbage is collected before each run and the cyclic
    collector is off during it: otherwise a contender pays for the garbage the
    previous one left (skorch's DataLoader path leaves a lot).
    """
    names = list(contenders)
    seconds = {name: [] for name in names}
    for round_index in range(rounds):
        for offset in range(len(names)):
            name = names[(round_index + offset) % len(names)]
            gc.collect()
            gc.disable()
            try:
                started = time.perf_counter()
                contenders[name]()
                seconds[name].append(time.perf_counter() - started)
            finally:
                gc.enable()
    return {name: np.array(values) for name, values in seconds.items()}


def median_ratio(seconds, numerator, denominator):
    return float(np.median(seconds[numerator] / seconds[denominator]))


def fit_section(configs, epochs, rounds):
    print(
        f"1. fit: MLP {'-'.join(map(str, HIDDEN))}, Adam, {epochs} epochs; median seconds over {rounds} "
        "alternated rounds, and medians of per-round ratios"
    )
    header = (
        f"{'data':<14}{'batch':>6}{'ours':>8}{'loop':>8}{'loop*':>8}{'skorch':>8}{'MLPClf':>8}"
        f"{'ours/loop':>11}{'ours/loop*':>12}{'skorch/loop':>13}{'ours/MLPClf':>13}"
    )
    print(header)
    worst = {"loop": 0.0, "mlp": 0.0}
    for data_name, batch_size in configs:
        X, y = load(data_name)
        seconds = alternate(
            {
                "ours": lambda: ours(X, y, batch_size, epochs),
                "loop": lambda: hand_written_loop(X, y, batch_size, epochs),
                "loop*": lambda: hand_written_loop(X, y, batch_size, epochs, fused=True),
                "skorch": lambda: skorch_default(X, y, batch_size, epochs),
                "mlp": lambda: mlp_classifier(X, y, batch_size, epochs),
            },
            rounds,
        )
        ratio_loop, ratio_mlp = median_ratio(seconds, "ours", "loop"), median_ratio(seconds, "ours", "mlp")
        worst = {"loop": max(worst["loop"], ratio_loop), "mlp": max(worst["mlp"], ratio_mlp)}
        print(
            f"{data_name:<14}{batch_size:>6}"
            + "".join(f"{np.median(seconds[n]):>8.2f}" for n in seconds)
            + f"{ratio_loop:>11.2f}{median_ratio(seconds, 'ours', 'loop*'):>12.2f}"
            + f"{median_ratio(seconds, 'skorch', 'loop'):>13.2f}{ratio_mlp:>13.2f}"
        )
    print("loop = hand-written loop with torch's default Adam; loop* = the same with fused Adam, as ours uses.")
    print(
        f"Worst configuration: ours/loop {worst['loop']:.2f} (target <= 1.3), "
        f"ours/MLPClassifier {worst['mlp']:.2f} (target <= 1.0)\n"
    )


def tracking_section(configs, epochs, rounds):
    print(f"2. Tracking overhead: fit with importance_on=None / 'epoch' / 'batch', {epochs} epochs, {rounds} rounds")
    print(f"{'data':<14}{'batch':>6}{'off s':>8}{'epoch s':>9}{'batch s':>9}{'epoch':>9}{'batch':>9}")
    worst = {"epoch": -np.inf, "batch": -np.inf}
    for data_name, batch_size in configs:
        X, y = load(data_name)
        seconds = alternate(
            {
                mode or "off": (lambda mode=mode: ours(X, y, batch_size, epochs, mode))
                for mode in (None, "epoch", "batch")
            },
            rounds,
        )
        overhead = {mode: 100 * (median_ratio(seconds, mode, "off") - 1) for mode in ("epoch", "batch")}
        worst = {mode: max(worst[mode], overhead[mode]) for mode in worst}
        print(
            f"{data_name:<14}{batch_size:>6}{np.median(seconds['off']):>8.2f}{np.median(seconds['epoch']):>9.2f}"
            f"{np.median(seconds['batch']):>9.2f}{overhead['epoch']:>8.1f}%{overhead['batch']:>8.1f}%"
        )
    print(
        f"Worst configuration: epoch {worst['epoch']:+.1f} % (target <= 3 %), "
        f"batch {worst['batch']:+.1f} % (target <= 15 %)\n"
    )


def defaults_section(configs, epochs, rounds):
    print(
        f"6. Defaults, {epochs} epochs, {rounds} rounds: the cost of standardize=True on the task above, "
        "and our defaults (SGD, standardize) against MLPClassifier's (Adam), per epoch"
    )
    print(f"{'data':<14}{'batch':>6}{'standardize':>13}{'ours/epoch ms':>15}{'MLP/epoch ms':>14}{'ratio':>7}")
    for data_name, batch_size in configs:
        X, y = load(data_name)
        seconds = alternate(
            {
                "raw": lambda: ours(X, y, batch_size, epochs),
                "standardized": lambda: ours(X, y, batch_size, epochs, standardize=True),
                "defaults": lambda: VIANNClassifier(
                    batch_size=batch_size, max_iter=epochs, n_iter_no_change=np.inf, random_state=0
                ).fit(X, y),
                "mlp": lambda: MLPClassifier(
                    batch_size=batch_size, max_iter=epochs, n_iter_no_change=np.inf, random_state=0
                ).fit(X, y),
            },
            rounds,
        )
        overhead = 100 * (median_ratio(seconds, "standardized", "raw") - 1)
        print(
            f"{data_name:<14}{batch_size:>6}{overhead:>12.1f}%{1000 * np.median(seconds['defaults']) / epochs:>15.2f}"
            f"{1000 * np.median(seconds['mlp']) / epochs:>14.2f}{median_ratio(seconds, 'defaults', 'mlp'):>7.2f}"
        )
    print("(ours and MLP here: the default network, one hidden layer of 100)\n")


def importance_cost_section(problems, rounds, lofo_sample):
    print("3. Cost of importances beyond the fit (seconds)")
    print(f"{'data':<26}{'fit':>8}{'VIANN':>8}{'permutation x5':>16}{'LOFO retrain':>14}{'LOFO/VIANN fit':>16}")
    for label, X, y, batch_size, epochs in problems:
        seconds = alternate(
            {mode or "off": (lambda mode=mode: ours(X, y, batch_size, epochs, mode)) for mode in (None, "epoch")},
            rounds,
        )
        fit_seconds = float(np.median(seconds["epoch"]))
        viann_extra = max(0.0, float(np.median(seconds["epoch"] - seconds["off"])))
        model = ours(X, y, batch_size, epochs)
        started = time.perf_counter()
        permutation_importance(model, X, y, n_repeats=5, random_state=0)
        permutation_seconds = time.perf_counter() - started
        columns = np.linspace(0, X.shape[1] - 1, min(lofo_sample, X.shape[1])).astype(int)
        started = time.perf_counter()
        for column in columns:
            ours(np.delete(X, column, axis=1), y, batch_size, epochs, importance_on=None)
        lofo_seconds = (time.perf_counter() - started) / len(columns) * X.shape[1]
        estimated = "" if len(columns) == X.shape[1] else f" (from {len(columns)} refits)"
        print(
            f"{label:<26}{fit_seconds:>8.2f}{viann_extra:>8.2f}{permutation_seconds:>16.2f}"
            f"{lofo_seconds:>14.1f}{lofo_seconds / fit_seconds:>15.0f}x{estimated}"
        )
    print("VIANN = fit with tracking minus fit without (median of alternated runs; 0 when within noise).\n")


SCALE_PROBE = r"""
import json, resource, sys, time, warnings
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from viann_sklearn import VIANNClassifier
warnings.simplefilter("ignore", ConvergenceWarning)
n_rows, n_features = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
X = rng.standard_normal((n_rows, n_features), dtype=np.float32)
y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
VIANNClassifier(hidden_layer_sizes=(8,), max_iter=1).fit(X[:256], y[:256])  # load everything once
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
VIANNClassifier(hidden_layer_sizes=(50, 100, 50), batch_size=256, max_iter=1, random_state=0).fit(X, y)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "before_kb": before, "peak_kb": peak, "data_bytes": X.nbytes}))
"""


def scale_section(sizes, n_features):
    print(f"4. Scale: one epoch at batch 256, {n_features} float32 features, each size in a fresh process")
    print(f"{'rows':>10}{'s/epoch':>9}{'data MB':>9}{'RSS before fit':>16}{'peak RSS':>10}{'growth in fit':>15}")
    for n_rows in sizes:
        completed = subprocess.run(
            [sys.executable, "-c", SCALE_PROBE, str(n_rows), str(n_features)],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        before_mb, peak_mb = result["before_kb"] / 1024, result["peak_kb"] / 1024
        print(
            f"{n_rows:>10,}{result['seconds']:>9.2f}{result['data_bytes'] / 2**20:>9.0f}{before_mb:>14.0f}MB"
            f"{peak_mb:>8.0f}MB{peak_mb - before_mb:>13.0f}MB"
        )
    print(
        "RSS before fit already holds the data (float32) and the loaded libraries; growth in fit is what\n"
        "training added on top: the model, optimizer state and batches, and no copy of the data.\n"
    )


def predict_section(n_rows, n_features, rounds):
    X, y = make_classification(n_samples=n_rows, n_features=n_features, random_state=0)
    X = X.astype(np.float32)
    model = ours(X[:2000], y[:2000], 256, 2)
    module = model.net_.module_

    def bare_forward():
        with torch.inference_mode():
            X_tensor = torch.from_numpy(X)
            return torch.cat([module(chunk) for chunk in torch.split(X_tensor, 8192)])

    seconds = alternate({"predict_proba": lambda: model.predict_proba(X), "bare": bare_forward}, rounds)
    ratio = median_ratio(seconds, "predict_proba", "bare")
    print(f"5. Predict: {n_rows:,} x {n_features} float32, median of {rounds} rounds")
    print(
        f"predict_proba {np.median(seconds['predict_proba']):.3f} s, bare model(X) in 8192-row chunks "
        f"{np.median(seconds['bare']):.3f} s: ratio {ratio:.2f} (target <= 1.5)\n"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check that every section runs")
    parser.add_argument("--rounds", type=int, default=None, help="alternated rounds (default 5; 1 with --quick)")
    parser.add_argument("--only-defaults", action="store_true", help="run section 6 only")
    args = parser.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 5)
    started = time.perf_counter()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    warm_up()
    configs = [("breast_cancer", 32), ("breast_cancer", 256), ("digits", 32), ("digits", 256)]
    if args.only_defaults:
        defaults_section(configs, epochs=100, rounds=rounds)
    elif args.quick:
        fit_section(configs[:1], epochs=3, rounds=rounds)
        tracking_section(configs[:1], epochs=3, rounds=rounds)
        X, y = make_classification(n_samples=500, n_features=20, random_state=0)
        importance_cost_section([("500 x 20", X.astype(np.float32), y, 256, 2)], rounds, lofo_sample=2)
        scale_section([10_000], n_features=100)
        predict_section(20_000, 100, rounds)
        defaults_section(configs[:1], epochs=3, rounds=rounds)
    else:
        fit_section(configs, epochs=100, rounds=rounds)
        tracking_section(configs, epochs=100, rounds=rounds)
        X_digits, y_digits = load("digits")
        X_large, y_large = make_classification(n_samples=20_000, n_features=500, n_informative=20, random_state=0)
        importance_cost_section(
            [
                ("digits 1,797 x 64", X_digits, y_digits, 256, 100),
                ("synthetic 20,000 x 500", X_large.astype(np.float32), y_large, 256, 10),
            ],
            rounds=3,
            lofo_sample=4,
        )
        scale_section([10_000, 100_000, 1_000_000], n_features=100)
        predict_section(200_000, 100, rounds)
        defaults_section(configs, epochs=100, rounds=rounds)
    print(f"Total time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
