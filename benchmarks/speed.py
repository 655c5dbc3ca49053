"""How fast VIANNClassifier trains and predicts at its defaults, and what its importances cost.

Compares, in one process, with runs alternated and medians of ratios reported:

1. ``fit`` at the estimator's defaults (SGD with Nesterov momentum, L2 ``alpha=1.0``,
   inputs standardised inside the network, normal(0, 0.05) weights, early stopping
   on a 10 % validation split), for every solver (sgd, adam, lbfgs), MLP 50-100-50,
   60 epochs, on breast_cancer and digits at batch 32 and 256, against a hand-written
   PyTorch loop doing the same training and ``MLPClassifier`` given the same settings,
   and the training path each fit took (the fused step, or autograd and why).
   Expected, in every configuration: ours <= 1.0x MLPClassifier (and <= 1.3x the loop).
2. The tracking overhead: ``importance_on=None`` vs ``"epoch"`` vs ``"batch"``.
3. The cost of each importance method beyond the fit -- VIANN (its tracking
   overhead), ``permutation_importance(n_repeats=5)`` on the fitted net, and
   leave-one-feature-out retraining -- at d = 20, 200 and 2,000 (5,000 rows).
4. A scale series, 10^4, 10^5 and 10^6 rows x 100 features (float32), one epoch at
   batch 256, each in a fresh process: time per epoch and peak memory. Expected:
   peak memory near one float32 copy of the data plus the model.
5. Predict throughput: ``predict_proba`` on 100,000 rows vs a bare ``model(X)`` in
   large chunks. Expected: within 1.5x.
6. Larger data: 200,000 x 50 (10 epochs) and 10^6 x 100 (one epoch), two classes,
   hidden (100,), batch "auto" (200), ``early_stopping=False``: ours at the defaults,
   ours forced onto the autograd path, and ``StandardScaler`` + ``MLPClassifier`` with
   the same settings; GFLOP/s of each fit beside the machine's measured matmul rate at
   the step's shapes (and at 1024 x 1024). Expected: ours <= 0.6x MLPClassifier.

Every ratio is measured in the same run, contenders alternating. ``--threads N`` sets
torch's intra-op threads and the BLAS threads numpy uses (MLPClassifier's) to N, so
that both sides get the same; pin the process (``taskset -c 1``) for one core.

Usage::

    python benchmarks/speed.py              # the full run, several minutes
    python benchmarks/speed.py --quick      # a smoke test of every section
    python benchmarks/speed.py --only-fit   # section 1 alone
    python benchmarks/speed.py --only-large # section 6 alone
    taskset -c 1 python benchmarks/speed.py --threads 1 --only-fit --only-large  # one core
"""

import argparse
import gc
import json
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
from torch import nn

import viann_sklearn.training.loop as training_loop
from viann_sklearn import VIANNClassifier

HIDDEN = (50, 100, 50)
EPOCHS = 60
SOLVERS = ("sgd", "adam", "lbfgs")
# The estimator's defaults, written out for the hand-written loop (and checked
# against get_params() in defaults_in_use, so that they cannot drift apart).
DEFAULTS = dict(
    alpha=1.0,
    learning_rate_init=0.01,
    momentum=0.9,
    nesterovs_momentum=True,
    weight_init=0.05,
    validation_fraction=0.1,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-8,
    tol=1e-4,
    standardize=True,
    early_stopping="auto",
    importance_on="epoch",
)

warnings.simplefilter("ignore", ConvergenceWarning)  # fixed numbers of epochs, on purpose


def load(name):
    """A table as a user brings it: float32, not standardised (the estimator does that)."""
    loader = {"breast_cancer": load_breast_cancer, "digits": load_digits}[name]
    X, y = loader(return_X_y=True)
    return X.astype(np.float32), y.astype(np.int64)


def defaults_in_use():
    """The defaults above, as the estimator has them."""
    parameters = VIANNClassifier().get_params()
    changed = {name: (value, parameters[name]) for name, value in DEFAULTS.items() if parameters[name] != value}
    if changed:
        raise SystemExit(f"benchmarks/speed.py: DEFAULTS no longer match the estimator's: {changed}")


def torch_network(n_features, n_classes, weight_std=None):
    widths = [n_features, *HIDDEN]
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    network = nn.Sequential(*layers, nn.Linear(widths[-1], n_classes))
    if weight_std is not None:
        with torch.no_grad():
            for layer in network:
                if isinstance(layer, nn.Linear):
                    layer.weight.normal_(0.0, weight_std)
                    layer.bias.zero_()
    return network


def hand_written_loop(X, y, solver, batch_size, epochs):
    """The estimator's default training, written by hand as a careful PyTorch user would.

    The same work as ``ours``: a stratified 10 % validation split, every column
    standardised with the training rows' mean and standard deviation (inside
    the forward pass, no copy of the data), normal(0, 0.05) weights and zero
    biases, the optimizer of ``solver`` with fused kernels and L2 as weight
    decay of alpha / batch on the weights (not the biases), one permutation per
    epoch and batches sliced from tensors (no DataLoader), the loss summed on
    the device and read once per epoch, the validation accuracy after every
    epoch, and the best epoch's weights kept and restored. "lbfgs": full-batch
    torch L-BFGS with scikit-learn's loss (mean loss + alpha / 2n ||W||^2),
    no validation split, for ``epochs`` iterations.
    """
    torch.manual_seed(0)
    settings = DEFAULTS
    if solver != "lbfgs":
        X, X_val, y, y_val = train_test_split(
            X, y, test_size=settings["validation_fraction"], stratify=y, random_state=0
        )
        X_val, y_val = torch.from_numpy(X_val), torch.from_numpy(y_val)
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    mean, std = X.mean(dim=0), X.std(dim=0, correction=0)
    std = torch.where(std > 0, std, torch.ones_like(std))
    network = torch_network(X.shape[1], int(y.max()) + 1, weight_std=settings["weight_init"])

    def forward(rows):
        return network((rows - mean) / std)

    weights = [p for name, p in network.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in network.named_parameters() if name.endswith("bias")]
    if solver == "lbfgs":
        optimizer = torch.optim.LBFGS(
            network.parameters(),
            lr=1.0,
            max_iter=1,
            max_eval=2**31 - 1,
            tolerance_grad=settings["tol"],
            tolerance_change=0.0,
            history_size=10,
            line_search_fn="strong_wolfe",
        )
        penalty_scale = 0.5 * settings["alpha"] / len(X)

        def closure():
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(forward(X), y) + penalty_scale * sum((w * w).sum() for w in weights)
            loss.backward()
            return loss

        losses = [float(optimizer.step(closure).detach()) for _ in range(epochs)]
        return network, losses

    groups = [
        {"params": weights, "weight_decay": settings["alpha"] / batch_size},
        {"params": biases, "weight_decay": 0.0},
    ]
    if solver == "sgd":
        optimizer = torch.optim.SGD(
            groups,
            lr=settings["learning_rate_init"],
            momentum=settings["momentum"],
            nesterov=settings["nesterovs_momentum"],
            fused=True,
        )
    else:
        optimizer = torch.optim.Adam(
            groups,
            lr=settings["learning_rate_init"],
            betas=(settings["beta_1"], settings["beta_2"]),
            eps=settings["epsilon"],
            fused=True,
        )
    parameters = list(network.parameters())
    best_parameters = [p.detach().clone() for p in parameters]
    best_score, losses = -1.0, []
    for _ in range(epochs):
        loss_sum = torch.zeros(())
        for batch in torch.randperm(len(X)).split(batch_size):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(forward(X[batch]), y[batch])
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(batch)
        losses.append(float(loss_sum) / len(X))
        with torch.no_grad():
            score = float((forward(X_val).argmax(dim=1) == y_val).float().mean())
            if score >= best_score:
                best_score = score
                torch._foreach_copy_(best_parameters, parameters)
    with torch.no_grad():
        torch._foreach_copy_(parameters, best_parameters)
    return network, losses


def ours(X, y, solver, batch_size, epochs, **settings):
    """Our estimator at its defaults, for a fixed number of epochs (L-BFGS iterations)."""
    return VIANNClassifier(
        hidden_layer_sizes=HIDDEN,
        solver=solver,
        batch_size=batch_size,
        max_iter=epochs,
        n_iter_no_change=np.inf,
        random_state=0,
        **settings,
    ).fit(X, y)


def mlp_classifier(X, y, solver, batch_size, epochs):
    """MLPClassifier given the same training: our defaults' optimizer settings, a scaler, and
    (sgd, adam) early stopping on a 10 % validation split that keeps the best epoch."""
    settings = {
        name: DEFAULTS[name]
        for name in (
            "alpha",
            "learning_rate_init",
            "momentum",
            "nesterovs_momentum",
            "beta_1",
            "beta_2",
            "epsilon",
            "validation_fraction",
            "tol",
        )
    }
    return make_pipeline(
        StandardScaler(),
        MLPClassifier(
            hidden_layer_sizes=HIDDEN,
            solver=solver,
            batch_size=batch_size,
            max_iter=epochs,
            early_stopping=solver != "lbfgs",
            n_iter_no_change=np.inf,
            random_state=0,
            **settings,
        ),
    ).fit(X, y)


def warm_up():
    """One untimed tiny fit of every contender: first calls pay for lazy imports and setup."""
    X, y = load("breast_cancer")
    for solver in SOLVERS:
        for contender in (ours, hand_written_loop, mlp_classifier):
            contender(X[:100], y[:100], solver, 32, 2)


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
        f"1. fit at the defaults: MLP {'-'.join(map(str, HIDDEN))}, {epochs} epochs (L-BFGS: iterations), "
        f"every solver; median seconds over {rounds} alternated rounds, and medians of per-round ratios"
    )
    print(
        f"{'solver':<7}{'data':<14}{'batch':>6}{'ours':>8}{'loop':>8}{'MLPClf':>8}{'ours/loop':>11}"
        f"{'ours/MLPClf':>13}  path"
    )
    worst = {"loop": (0.0, ""), "mlp": (0.0, "")}
    paths = {}
    for solver in SOLVERS:
        for data_name, batch_size in configs:
            if solver == "lbfgs" and batch_size != configs[0][1]:
                continue  # full batch: the batch size plays no part
            X, y = load(data_name)
            # Iterations each contender runs: the epochs, or for L-BFGS as many as
            # ours took (it may converge first); ratios are per iteration.
            first_fit = ours(X, y, solver, batch_size, epochs)
            iterations = {"ours": first_fit.n_iter_}
            path, _, reason = first_fit.net_.training_path_.partition(": ")
            if reason:
                paths[path] = reason
            loop_iterations = iterations["ours"] if solver == "lbfgs" else epochs
            iterations["loop"] = loop_iterations
            iterations["mlp"] = mlp_classifier(X, y, solver, batch_size, epochs)[-1].n_iter_
            seconds = alternate(
                {
                    "ours": lambda: ours(X, y, solver, batch_size, epochs),
                    "loop": lambda: hand_written_loop(X, y, solver, batch_size, loop_iterations),
                    "mlp": lambda: mlp_classifier(X, y, solver, batch_size, epochs),
                },
                rounds,
            )
            seconds = {name: values / iterations[name] * epochs for name, values in seconds.items()}
            ratio_loop, ratio_mlp = median_ratio(seconds, "ours", "loop"), median_ratio(seconds, "ours", "mlp")
            label = f"{solver} {data_name} {'full' if solver == 'lbfgs' else batch_size}"
            worst["loop"] = max(worst["loop"], (ratio_loop, label))
            worst["mlp"] = max(worst["mlp"], (ratio_mlp, label))
            print(
                f"{solver:<7}{data_name:<14}{'full' if solver == 'lbfgs' else batch_size:>6}"
                + "".join(f"{np.median(seconds[n]):>8.2f}" for n in ("ours", "loop", "mlp"))
                + f"{ratio_loop:>11.2f}{ratio_mlp:>13.2f}  {path}"
            )
    print(
        "ours: VIANNClassifier at its defaults (early_stopping='auto': a 10 % validation split scored every\n"
        "epoch), with n_iter_no_change=inf so that every contender runs the same epochs. loop: the same\n"
        "training written by hand (see hand_written_loop). MLPClf: StandardScaler + MLPClassifier with the\n"
        "same settings and early_stopping=True. L-BFGS rows are scaled to seconds per iteration x epochs.\n"
        "path: the fused step (training/fused.py) or autograd"
        + "".join(f"; {path}: {reason}" for path, reason in paths.items())
    )
    print(
        f"Worst configuration: ours/loop {worst['loop'][0]:.2f} ({worst['loop'][1]}; target <= 1.3), "
        f"ours/MLPClassifier {worst['mlp'][0]:.2f} ({worst['mlp'][1]}; target <= 1.0)\n"
    )


def tracking_section(configs, epochs, rounds):
    print(f"2. Tracking overhead: fit with importance_on=None / 'epoch' / 'batch', {epochs} epochs, {rounds} rounds")
    print(f"{'data':<14}{'batch':>6}{'off s':>8}{'epoch s':>9}{'batch s':>9}{'epoch':>9}{'batch':>9}")
    worst = {"epoch": -np.inf, "batch": -np.inf}
    for data_name, batch_size in configs:
        X, y = load(data_name)
        seconds = alternate(
            {
                mode or "off": (lambda mode=mode: ours(X, y, "sgd", batch_size, epochs, importance_on=mode))
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


def permutation_seconds(model, X, y, columns, n_repeats=5):
    """Seconds permutation importance spends on ``columns``: one score per repeat per column,
    as ``permutation_importance`` computes them (timed on a few columns where d is large)."""
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    model.score(X, y)  # permutation_importance's baseline score
    for column in columns:
        X_permuted = X.copy()
        for _ in range(n_repeats):
            X_permuted[:, column] = rng.permutation(X[:, column])
            model.score(X_permuted, y)
    return time.perf_counter() - started


def importance_cost_section(problems, rounds, sampled_columns):
    print("3. Cost of each importance method beyond the fit (seconds), estimator at its defaults")
    print(f"{'data':<22}{'fit':>8}{'VIANN':>8}{'permutation x5':>16}{'LOFO retrain':>14}{'LOFO/fit':>10}")
    for label, X, y, epochs in problems:
        seconds = alternate(
            {
                mode or "off": (lambda mode=mode: ours(X, y, "sgd", "auto", epochs, importance_on=mode))
                for mode in (None, "epoch")
            },
            rounds,
        )
        fit_seconds = float(np.median(seconds["epoch"]))
        viann_extra = max(0.0, float(np.median(seconds["epoch"] - seconds["off"])))
        model = ours(X, y, "sgd", "auto", epochs)
        columns = np.linspace(0, X.shape[1] - 1, min(sampled_columns, X.shape[1])).astype(int)
        permutation = permutation_seconds(model, X, y, columns) / len(columns) * X.shape[1]
        started = time.perf_counter()
        for column in columns:
            ours(np.delete(X, column, axis=1), y, "sgd", "auto", epochs, importance_on=None)
        lofo_seconds = (time.perf_counter() - started) / len(columns) * X.shape[1]
        estimated = "" if len(columns) == X.shape[1] else f" (timed on {len(columns)} columns)"
        print(
            f"{label:<22}{fit_seconds:>8.2f}{viann_extra:>8.3f}{permutation:>16.2f}"
            f"{lofo_seconds:>14.1f}{lofo_seconds / fit_seconds:>9.0f}x{estimated}"
        )
    print(
        "VIANN = fit with tracking minus fit without (median of alternated runs; 0 when within noise).\n"
        "permutation x5 and LOFO (one refit per column) are timed on a few columns and multiplied out.\n"
    )


SCALE_PROBE = r"""
import json, resource, sys, time, warnings
import numpy as np

def peak_kb():
    # This process's own high-water mark. ru_maxrss would not do: Linux carries
    # it over from the parent across fork and exec, and the parent running this
    # benchmark is larger than what is measured here.
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

from sklearn.exceptions import ConvergenceWarning
from viann_sklearn import VIANNClassifier
warnings.simplefilter("ignore", ConvergenceWarning)
n_rows, n_features = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
VIANNClassifier(hidden_layer_sizes=(8,), max_iter=1).fit(  # load everything once
    rng.standard_normal((256, 4)), rng.integers(0, 2, 256)
)
libraries = peak_kb()
X = rng.standard_normal((n_rows, n_features), dtype=np.float32)
y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
before = peak_kb()
started = time.perf_counter()
model = VIANNClassifier(batch_size=256, max_iter=1, random_state=0).fit(X, y)
seconds = time.perf_counter() - started
peak = peak_kb()
model_bytes = 3 * sum(p.numel() * p.element_size() for p in model.net_.module_.parameters())  # + grads, momentum
print(json.dumps({"seconds": seconds, "libraries_kb": libraries, "before_kb": before, "peak_kb": peak,
                  "data_bytes": X.nbytes + y.nbytes, "model_bytes": model_bytes}))
"""


def scale_section(sizes, n_features):
    print(
        f"4. Scale: one epoch at the defaults (batch 256, early stopping's validation split), {n_features} "
        "float32 features, each size in a fresh process"
    )
    print(
        f"{'rows':>10}{'s/epoch':>9}{'data MB':>9}{'libraries':>11}{'peak RSS':>10}"
        f"{'peak - libraries':>18}{'/ (data+model)':>16}"
    )
    for n_rows in sizes:
        completed = subprocess.run(
            [sys.executable, "-c", SCALE_PROBE, str(n_rows), str(n_features)],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        libraries_mb, peak_mb = result["libraries_kb"] / 1024, result["peak_kb"] / 1024
        data_and_model_mb = (result["data_bytes"] + result["model_bytes"]) / 2**20
        print(
            f"{n_rows:>10,}{result['seconds']:>9.2f}{result['data_bytes'] / 2**20:>9.0f}{libraries_mb:>9.0f}MB"
            f"{peak_mb:>8.0f}MB{peak_mb - libraries_mb:>16.0f}MB{(peak_mb - libraries_mb) / data_and_model_mb:>16.2f}"
        )
    print(
        "libraries: RSS after importing and one tiny fit, before the data exist. peak - libraries is what the\n"
        "data and the fit took together; the target is <= 1.5x the data (X and y) plus the model (weights,\n"
        "gradients, momentum).\n"
    )


def predict_section(n_rows, n_features, rounds):
    X, y = make_classification(n_samples=n_rows, n_features=n_features, random_state=0)
    X = X.astype(np.float32)
    model = ours(X[:2000], y[:2000], "sgd", 256, 2)
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


# Section 6: the issue's larger problems, (rows, features, epochs).
LARGE_PROBLEMS = [(200_000, 50, 10), (1_000_000, 100, 1)]
LARGE_HIDDEN = (100,)
LARGE_BATCH = 200  # batch_size="auto" on these sizes


@contextmanager
def autograd_path():
    """Fits inside train the built-in MLP through skorch's train_step and autograd, as before the fused step."""
    fused_step_for = training_loop.fused_step_for
    training_loop.fused_step_for = lambda net: (None, "forced by benchmarks/speed.py")
    try:
        yield
    finally:
        training_loop.fused_step_for = fused_step_for


def step_flops(n_rows, widths):
    """Floating-point operations of the matrix products of a training step on ``n_rows`` rows.

    Per layer (n_in -> n_out): 2 n n_in n_out for the forward product, as many for the
    weight gradient, and as many again for the gradient of the layer's input, which
    the first layer does not need. Elementwise work (activations, loss, update) is left out.
    """
    layers = list(zip(widths[:-1], widths[1:]))
    return sum(2 * n_rows * n_in * n_out * (2 if index == 0 else 3) for index, (n_in, n_out) in enumerate(layers))


def matmul_rate(n_rows, widths, seconds=0.5):
    """GFLOP/s of the step's matrix products alone, at its shapes, in a tight loop (float32, preallocated).

    The forward ``addmm`` per layer, the weight gradient ``grad.t() @ input``, the
    input gradient ``grad @ W``: what the fused step computes, without anything else.
    """
    generator = torch.Generator().manual_seed(0)
    layers = list(zip(widths[:-1], widths[1:]))
    inputs = [torch.randn(n_rows, n_in, generator=generator) for n_in, _ in layers]
    weights = [torch.randn(n_out, n_in, generator=generator) for n_in, n_out in layers]
    biases = [torch.randn(n_out, generator=generator) for _, n_out in layers]
    gradients = [torch.randn(n_rows, n_out, generator=generator) for _, n_out in layers]
    outputs = [torch.empty(n_rows, n_out) for _, n_out in layers]
    weight_gradients = [torch.empty_like(weight) for weight in weights]
    input_gradients = [torch.empty_like(layer_input) for layer_input in inputs]

    def products():
        for index in range(len(layers)):
            torch.addmm(biases[index], inputs[index], weights[index].t(), out=outputs[index])
            torch.mm(gradients[index].t(), inputs[index], out=weight_gradients[index])
            if index > 0:
                torch.mm(gradients[index], weights[index], out=input_gradients[index])

    return _rate(products, step_flops(n_rows, widths), seconds)


def square_matmul_rate(size=1024, seconds=0.5):
    """GFLOP/s of one float32 ``size x size`` matrix product: what the CPU reaches on large products."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    out = torch.empty(size, size)
    return _rate(lambda: torch.mm(a, b, out=out), 2 * size**3, seconds)


def _rate(work, flops, seconds):
    work()
    repeats, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        work()
        repeats += 1
    return flops * repeats / (time.perf_counter() - started) / 1e9


def large_data(n_rows, n_features):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_rows, n_features), dtype=np.float32)
    y = (X[:, 0] + X[:, 1] + 0.5 * rng.standard_normal(n_rows, dtype=np.float32) > 0).astype(np.int64)
    return X, y


def large_ours(X, y, epochs):
    return VIANNClassifier(
        hidden_layer_sizes=LARGE_HIDDEN, max_iter=epochs, early_stopping=False, n_iter_no_change=np.inf, random_state=0
    ).fit(X, y)


def large_mlp_classifier(X, y, epochs):
    return make_pipeline(
        StandardScaler(),
        MLPClassifier(
            hidden_layer_sizes=LARGE_HIDDEN,
            solver="sgd",
            batch_size=LARGE_BATCH,
            max_iter=epochs,
            early_stopping=False,
            n_iter_no_change=np.inf,
            random_state=0,
            alpha=DEFAULTS["alpha"],
            learning_rate_init=DEFAULTS["learning_rate_init"],
            momentum=DEFAULTS["momentum"],
            nesterovs_momentum=DEFAULTS["nesterovs_momentum"],
        ),
    ).fit(X, y)


def time_large_problem(n_rows, n_features, epochs, rounds):
    """Seconds of each contender on one larger problem, and the paths ours took (its data freed on return)."""
    X, y = large_data(n_rows, n_features)
    path = large_ours(X[:2000], y[:2000], 1).net_.training_path_
    with autograd_path():
        reference_path = large_ours(X[:2000], y[:2000], 1).net_.training_path_

    def with_autograd():
        with autograd_path():
            large_ours(X, y, epochs)

    seconds = alternate(
        {
            "ours": lambda: large_ours(X, y, epochs),
            "autograd": with_autograd,
            "mlp": lambda: large_mlp_classifier(X, y, epochs),
        },
        rounds,
    )
    return seconds, path, reference_path


def large_section(problems, rounds):
    print(
        f"6. Larger data: hidden {LARGE_HIDDEN}, batch {LARGE_BATCH}, early_stopping=False, 2 classes; median "
        f"seconds over {rounds} alternated rounds, medians of per-round ratios"
    )
    print(
        f"{'data':<18}{'epochs':>7}{'ours':>8}{'autograd':>10}{'MLPClf':>8}{'ours/MLPClf':>13}"
        f"{'autograd/MLPClf':>17}{'GFLOP/s ours':>14}{'MLPClf':>8}{'matmul at shape':>17}  path"
    )
    worst = 0.0
    for n_rows, n_features, epochs in problems:
        seconds, path, reference_path = time_large_problem(n_rows, n_features, epochs, rounds)
        gc.collect()
        widths = [n_features, *LARGE_HIDDEN, 2]
        # The training step's products over all rows of all epochs (MLPClassifier has one
        # logistic output for two classes, so a little less: counted with its own widths).
        flops = {
            "ours": step_flops(n_rows, widths) * epochs,
            "mlp": step_flops(n_rows, [n_features, *LARGE_HIDDEN, 1]) * epochs,
        }
        rates = {name: flops[name] / float(np.median(seconds[name])) / 1e9 for name in flops}
        ratio, reference_ratio = median_ratio(seconds, "ours", "mlp"), median_ratio(seconds, "autograd", "mlp")
        worst = max(worst, ratio)
        print(
            f"{f'{n_rows:,} x {n_features}':<18}{epochs:>7}"
            + "".join(
                f"{np.median(seconds[name]):>{width}.2f}" for name, width in (("ours", 8), ("autograd", 10), ("mlp", 8))
            )
            + f"{ratio:>13.2f}{reference_ratio:>17.2f}{rates['ours']:>14.1f}{rates['mlp']:>8.1f}"
            f"{matmul_rate(LARGE_BATCH, widths):>17.1f}  {path}"
        )
    print(
        "ours: VIANNClassifier(early_stopping=False) at its other defaults. autograd: the same, forced onto the\n"
        f"autograd path ({reference_path!r}). MLPClf: StandardScaler + MLPClassifier(solver='sgd') with the same\n"
        "settings. GFLOP/s: the matrix products of forward and backward passes (see step_flops) over the fit's\n"
        "seconds; matmul at shape: those products alone, at the step's shapes, in a tight loop. "
        f"One float32 1024 x 1024 product: {square_matmul_rate():.1f} GFLOP/s."
    )
    print(f"Worst configuration: ours/MLPClassifier {worst:.2f} (target <= 0.6)\n")


def importance_problems(n_rows, widths, epochs):
    """Synthetic classification tables of ``n_rows`` rows at each width, 10 informative columns."""
    problems = []
    for n_features in widths:
        X, y = make_classification(
            n_samples=n_rows, n_features=n_features, n_informative=10, n_redundant=0, random_state=0
        )
        problems.append((f"{n_rows:,} x {n_features:,}", X.astype(np.float32), y, epochs))
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check that every section runs")
    parser.add_argument("--rounds", type=int, default=None, help="alternated rounds (default 5; 1 with --quick)")
    parser.add_argument("--only-fit", action="store_true", help="run section 1 (with --only-large: and 6)")
    parser.add_argument("--only-large", action="store_true", help="run section 6 (with --only-fit: and 1)")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch's and the BLAS's threads, the same for every contender"
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 5)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)  # numpy's BLAS, which MLPClassifier computes with
    started = time.perf_counter()
    defaults_in_use()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    warm_up()
    configs = [("breast_cancer", 32), ("breast_cancer", 256), ("digits", 32), ("digits", 256)]
    if args.quick:
        fit_section(configs[:1], epochs=3, rounds=rounds)
        tracking_section(configs[:1], epochs=3, rounds=rounds)
        importance_cost_section(importance_problems(500, [20], epochs=2), rounds, sampled_columns=2)
        scale_section([10_000], n_features=100)
        predict_section(20_000, 100, rounds)
        large_section([(4_000, 20, 2)], rounds)
    elif args.only_fit or args.only_large:
        if args.only_fit:
            fit_section(configs, epochs=EPOCHS, rounds=rounds)
        if args.only_large:
            large_section(LARGE_PROBLEMS, rounds=min(rounds, 3))
    else:
        fit_section(configs, epochs=EPOCHS, rounds=rounds)
        tracking_section(configs, epochs=EPOCHS, rounds=rounds)
        importance_cost_section(importance_problems(5_000, [20, 200, 2_000], epochs=20), 3, sampled_columns=4)
        scale_section([10_000, 100_000, 1_000_000], n_features=100)
        predict_section(100_000, 100, rounds)
        large_section(LARGE_PROBLEMS, rounds=min(rounds, 3))
    print(f"Total time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
