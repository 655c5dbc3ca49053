"""How far one ``VIANNClassifier().fit`` travels through the package's files.

Counts, for a small fit, the package modules whose functions run, the changes of
file between one call and the next (a call into another module of ours, or a
return to one), and the round trips between two modules (A -> B -> A). A
layout where a fit reads top to bottom has few of each.

    python benchmarks/fit_call_path.py
"""

import collections
import sys
import warnings
from pathlib import Path

import numpy as np

import viann_sklearn
from viann_sklearn import VIANNClassifier

PACKAGE = Path(viann_sklearn.__file__).parent
# The layers, top to bottom (pyproject.toml's import contracts), and where the modules of the
# single-folder package (0.1.0) went, so that the same count runs on both layouts.
LAYERS = ["cli", "selection", "inspection", "estimators", "training", "adapters", "method"]
FORMER_HOMES = {
    "_welford.py": "method", "_layers.py": "method", "_tracker.py": "method", "_stopping.py": "method",
    "_callbacks.py": "adapters", "_torch_tracker.py": "adapters", "keras.py": "adapters", "_adapters.py": "adapters",
    "_mlp.py": "training", "_training.py": "training", "_solvers.py": "training", "_stream_training.py": "training",
    "_estimators.py": "estimators", "_classifier.py": "estimators", "_regressor.py": "estimators",
    "_docs.py": "estimators", "_early_stopping.py": "estimators", "_inputs.py": "estimators",
    "streaming.py": "estimators", "_selector.py": "selection", "_noise.py": "selection",
    "inspection.py": "inspection", "text.py": "inspection", "vision.py": "inspection", "plot.py": "inspection",
    "cli.py": "cli", "_table.py": "cli", "_persist.py": "cli", "_demo.py": "cli",
}  # fmt: skip


def _module_of(frame):
    path = Path(frame.f_code.co_filename)
    if PACKAGE not in path.parents:
        return None
    return str(path.relative_to(PACKAGE.parent))


def layer_of(module):
    parts = Path(module).parts  # ("viann_sklearn", "training", "net.py") or ("viann_sklearn", "_training.py")
    return parts[1] if len(parts) > 2 else FORMER_HOMES.get(parts[1], "top")


def trace_fit():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] > 0).astype(int)
    estimator = VIANNClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    sequence, calls = [], []

    def profile(frame, event, arg):
        if event not in ("call", "return"):
            return
        # The module of the code running after this event: the callee on a call, the caller on a return.
        module = _module_of(frame if event == "call" else frame.f_back) if frame is not None else None
        if module is not None and (not sequence or sequence[-1] != module):
            sequence.append(module)
        if event == "call" and frame.f_back is not None:
            caller = _module_of(frame.f_back)
            if caller is not None and module is not None and caller != module:
                calls.append((caller, module))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # three epochs on purpose
        estimator.fit(X, y)  # warm the imports and caches: only the fit's own path is counted
        sys.setprofile(profile)
        try:
            estimator.fit(X, y)
        finally:
            sys.setprofile(None)
    return sequence, calls


def main():
    sequence, calls = trace_fit()
    round_trips = collections.Counter(
        tuple(sorted((a, b))) for a, b, c in zip(sequence, sequence[1:], sequence[2:]) if a == c
    )
    modules = sorted(set(sequence))
    print(f"modules of the package one fit runs code in: {len(modules)}")
    for module in modules:
        print(f"  {module}")
    print(f"changes of file: {len(sequence) - 1}")
    print(f"round trips A -> B -> A: {sum(round_trips.values())} over {len(round_trips)} pairs of modules")
    for (a, b), count in round_trips.most_common(8):
        print(f"  {count:4d}  {a} <-> {b}")
    layers = [layer_of(module) for module in sequence]
    layer_changes = sum(a != b for a, b in zip(layers, layers[1:]))
    upward = collections.Counter(
        (layer_of(caller), layer_of(callee))
        for caller, callee in calls
        if layer_of(callee) in LAYERS
        and layer_of(caller) in LAYERS
        and LAYERS.index(layer_of(callee)) < LAYERS.index(layer_of(caller))
    )
    print(f"changes of layer: {layer_changes}")
    print(f"calls from a lower layer into a higher one (callbacks, hooks): {sum(upward.values())}")
    for (caller, callee), count in upward.most_common():
        print(f"  {count:4d}  {caller} -> {callee}")


if __name__ == "__main__":
    main()
