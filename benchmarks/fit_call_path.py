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


def _module_of(frame):
    path = Path(frame.f_code.co_filename)
    if PACKAGE not in path.parents:
        return None
    return str(path.relative_to(PACKAGE.parent))


def trace_fit():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] > 0).astype(int)
    estimator = VIANNClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    sequence = []

    def profile(frame, event, arg):
        if event not in ("call", "return"):
            return
        # The module of the code running after this event: the callee on a call, the caller on a return.
        module = _module_of(frame if event == "call" else frame.f_back) if frame is not None else None
        if module is not None and (not sequence or sequence[-1] != module):
            sequence.append(module)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # three epochs on purpose
        estimator.fit(X, y)  # warm the imports and caches: only the fit's own path is counted
        sys.setprofile(profile)
        try:
            estimator.fit(X, y)
        finally:
            sys.setprofile(None)
    return sequence


def main():
    sequence = trace_fit()
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


if __name__ == "__main__":
    main()
