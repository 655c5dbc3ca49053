"""The main job: rank the features of a real dataset with VIANN, next to a random forest."""

import time
import warnings

import numpy as np
from scipy.stats import spearmanr
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..estimators.classifier import VIANNClassifier


def rank_breast_cancer(seed=0, top=None, print_fn=print):
    """Train VIANNClassifier and a random forest on breast-cancer data and compare rankings.

    Parameters
    ----------
    seed : int, default=0
        Seeds the split, the network and the forest.
    top : int, default=None
        Print only the ``top`` features by VIANN importance.
    print_fn : callable, default=print
        Where the report goes.

    Returns
    -------
    result : dict
        ``feature_names``, ``viann`` and ``forest`` importances, the test
        ``accuracy`` of both models and the ``spearman`` rank correlation.
    """
    data = load_breast_cancer()
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, stratify=data.target, random_state=seed
    )
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        network = make_pipeline(StandardScaler(), VIANNClassifier(random_state=seed)).fit(X_train, y_train)
    network_seconds = time.perf_counter() - started
    stopped_at_max_iter = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    forest = RandomForestClassifier(n_estimators=300, random_state=seed).fit(X_train, y_train)

    viann = network[-1].feature_importances_
    trees = forest.feature_importances_
    correlation = spearmanr(viann, trees).statistic
    viann_rank = _ranks(viann)
    forest_rank = _ranks(trees)

    print_fn(f"Breast cancer: {X_train.shape[0]} training rows, {X_train.shape[1]} features.")
    print_fn(
        f"VIANNClassifier: test accuracy {network.score(X_test, y_test):.3f}, "
        f"trained in {network_seconds:.1f} s ({network[-1].n_iter_} epochs"
        f"{', the max_iter limit' if stopped_at_max_iter else ''}); "
        f"random forest: test accuracy {forest.score(X_test, y_test):.3f}."
    )
    print_fn("")
    print_fn(f"{'rank':>4}  {'feature':<24}{'VIANN':>8}{'forest':>8}{'forest rank':>13}")
    order = np.argsort(-viann)[: top or len(viann)]
    for index in order:
        print_fn(
            f"{viann_rank[index]:>4}  {data.feature_names[index]:<24}"
            f"{viann[index]:>8.3f}{trees[index]:>8.3f}{forest_rank[index]:>13}"
        )
    print_fn("")
    print_fn(f"Spearman rank correlation, VIANN vs random forest: {correlation:.2f}")
    return {
        "feature_names": list(data.feature_names),
        "viann": viann,
        "forest": trees,
        "accuracy": network.score(X_test, y_test),
        "forest_accuracy": forest.score(X_test, y_test),
        "spearman": correlation,
    }


def _ranks(importances):
    """Rank 1 for the most important feature."""
    ranks = np.empty(len(importances), dtype=int)
    ranks[np.argsort(-importances)] = np.arange(1, len(importances) + 1)
    return ranks
