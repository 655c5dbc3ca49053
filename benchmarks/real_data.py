"""Are the importances true on real tables? Two protocols, many methods, the same fitted nets.

Protocol **truth** (known truth on real X): the columns stay real, the target
is replaced by a noisy nonlinear function of three columns drawn at random
(a sine of one, a square of another, times a third through an interaction).
The drawn columns are the informative ones; every other column is noise,
except columns that nearly duplicate a drawn one (|Spearman| >= 0.8), which
count as neither.

Protocol **shadow** (real target, as Boruta tests): every column gets a
"shadow", a copy with its rows shuffled independently, linked to nothing.
The real columns that carry information are chosen by a model-free rule, not
by any compared method: a univariate rank test of the column against the
target (Kruskal-Wallis for classes, Spearman for numbers) with p < 0.01 after
Bonferroni's correction. Real columns that fail it count as neither.

Both protocols score a method by the ROC-AUC of its importances at putting
the informative columns above the noise (protocol shadow: above the
shadows); 0.5 is chance. Each seed draws its own train/test split (75/25),
shadows and truth.

Usage::

    python benchmarks/real_data.py                 # every table and method, 3 seeds
    python benchmarks/real_data.py --quick         # a smoke test: 2 small tables, 1 seed
    python benchmarks/real_data.py --candidates    # candidate estimator settings, VIANN and permutation only

Results are printed and written to ``benchmarks/results/real_data*.md``.
"""

import argparse
import importlib.util
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from real_tables import TABLE_NAMES, load_tables
from scipy import stats
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from viann_sklearn import VIANNClassifier, VIANNRegressor

RESULTS = Path(__file__).resolve().parent / "results"
N_REPEATS = 5  # permutation importance's repeats, as in scikit-learn's examples
DUPLICATE_CORRELATION = 0.8
UNRELATED_CORRELATION = 0.3  # selection: a column this far from every drawn one is noise to any method,
#: if the drawn columns do not predict it this well either (cross-validated R², :func:`predictability`):
#: a column they predict tells something about the target, whatever its rank correlations. Before this
#: rule, on the audit set of benchmarks/selection.py a column the drawn ones predicted with R² 0.98
#: counted as unrelated, and every method, BorutaPy too, "falsely" kept it.
PREDICTABLE_R2 = 0.1
KEEPING = "VIANNSelector(drop_rejected=False)"  # every feature in every fit: the default before

warnings.simplefilter("ignore", ConvergenceWarning)


# ------------------------------------------------------------------ protocols
@dataclass
class Case:
    """One table, protocol and seed: the data every method sees, and the truth."""

    table: str
    protocol: str
    task: str
    seed: int
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    positive: np.ndarray  # columns that carry information
    negative: np.ndarray  # columns that are noise (shadows, or undrawn real columns)
    extra: dict = field(default_factory=dict)


def _rank_test_pvalues(X, y, task):
    pvalues = np.ones(X.shape[1])
    for column in range(X.shape[1]):
        values = X[:, column]
        if np.ptp(values) == 0:
            continue
        if task == "classification":
            samples = [values[y == label] for label in np.unique(y)]
            pvalues[column] = stats.kruskal(*samples).pvalue
        else:
            pvalues[column] = stats.spearmanr(values, y).pvalue
    return np.nan_to_num(pvalues, nan=1.0)


def relevant_columns(X, y, task, alpha=0.01):
    """Columns whose univariate rank test against the target passes at ``alpha``, Bonferroni-corrected."""
    return _rank_test_pvalues(X, y, task) < alpha / X.shape[1]


def _split(X, y, task, seed):
    stratify = y if task == "classification" else None
    return train_test_split(X, y, test_size=0.25, random_state=seed, stratify=stratify)


def _split_case(table, protocol, X, y, seed, positive, negative, extra):
    """The case of one seed: its own 75/25 split of (X, y), and which columns are signal and noise."""
    X_train, X_test, y_train, y_test = _split(X, y, table.task, seed)
    return Case(table.name, protocol, table.task, seed, X_train, X_test, y_train, y_test, positive, negative, extra)


def shadow_case(table, seed):
    rng = np.random.default_rng(seed)
    n_features = table.X.shape[1]
    shadows = np.column_stack([rng.permutation(column) for column in table.X.T])
    X = np.hstack([table.X, shadows])
    relevant = relevant_columns(table.X, table.y, table.task)
    positive = np.flatnonzero(relevant)
    negative = np.arange(n_features, 2 * n_features)
    extra = dict(n_relevant=int(relevant.sum()), n_real=n_features)
    return _split_case(table, "shadow", X, table.y, seed, positive, negative, extra)


def _normal_scores(values):
    # Rank-based, so that a skewed count or an outlier cannot dominate the target.
    ranks = stats.rankdata(values)
    return stats.norm.ppf(ranks / (len(values) + 1))


def nonlinear_signal(X, drawn):
    """The truth protocol's target before noise: a sine, a square and an interaction of three columns, standardised.

    Of the columns' rank-based normal scores, so that a skewed count or an outlier cannot dominate.
    """
    z = np.column_stack([_normal_scores(X[:, column]) for column in drawn])
    signal = np.sin(2 * z[:, 0]) + (z[:, 1] ** 2 - 1) / np.sqrt(2) + z[:, 0] * z[:, 2]
    return (signal - signal.mean()) / signal.std()


def spearman_to(X, columns):
    """|Spearman correlation| of every column with each of ``columns``; 0 for constant columns."""
    ranks = stats.rankdata(X, axis=0)
    ranks = ranks - ranks.mean(axis=0)
    norms = np.linalg.norm(ranks, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        correlations = (ranks.T @ ranks[:, columns]) / np.outer(norms, norms[columns])
    return np.abs(np.nan_to_num(correlations))


def predictability(X, drawn, columns, seed):
    """Cross-validated R² of each of ``columns`` predicted from the drawn columns.

    Ten nearest neighbours on the drawn columns' ranks, 5 folds: a dependence
    of any shape (a column nested in another, a non-monotone function) that a
    rank correlation misses.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 5))
    >>> X[:, 3] = X[:, 0] ** 2 + 0.1 * rng.normal(size=500)  # Spearman near 0 with column 0, but a function of it
    >>> r2 = predictability(X, np.array([0, 1, 2]), np.array([3, 4]), seed=0)
    >>> np.round(r2, 2)  # the square is found through two unrelated inputs; the noise column is not
    array([ 0.58, -0.1 ])
    """
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.neighbors import KNeighborsRegressor

    if len(columns) == 0:
        return np.zeros(0)
    inputs = stats.rankdata(X[:, drawn], axis=0) / len(X)
    targets = X[:, columns] - X[:, columns].mean(axis=0)
    scale = targets.std(axis=0)
    targets = targets / np.where(scale > 0, scale, 1.0)  # a constant column is predicted by nothing: R² 0
    folds = KFold(5, shuffle=True, random_state=seed)
    predicted = cross_val_predict(KNeighborsRegressor(n_neighbors=10), inputs, targets, cv=folds)
    total = (targets**2).sum(axis=0)
    return np.where(total > 0, 1 - ((targets - predicted) ** 2).sum(axis=0) / np.where(total > 0, total, 1.0), 0.0)


def truth_case(table, seed):
    rng = np.random.default_rng(seed)
    X = table.X
    n_distinct = np.array([len(np.unique(column)) for column in X.T])
    candidates = np.flatnonzero(n_distinct >= 3)  # a square of a 0/1 column is no nonlinearity
    drawn = rng.choice(candidates, size=3, replace=False)
    signal = nonlinear_signal(X, drawn)
    y = signal + 0.5 * rng.normal(size=len(signal))
    if table.task == "classification":
        y = (y > np.median(y)).astype(int)
    near_duplicate = spearman_to(X, drawn).max(axis=1) >= DUPLICATE_CORRELATION
    near_duplicate[drawn] = False
    is_noise = np.ones(X.shape[1], dtype=bool)
    is_noise[drawn] = False
    is_noise &= ~near_duplicate
    extra = dict(n_relevant=3, n_real=X.shape[1], n_duplicates=int(near_duplicate.sum()))
    return _split_case(table, "truth", X, y, seed, np.sort(drawn), np.flatnonzero(is_noise), extra)


PROTOCOLS = {"truth": truth_case, "shadow": shadow_case}


def ranking_auc(scores, case):
    """ROC-AUC of the scores at putting the positive columns above the negative ones."""
    labels = np.r_[np.ones(len(case.positive)), np.zeros(len(case.negative))]
    return roc_auc_score(labels, np.r_[scores[case.positive], scores[case.negative]])


# -------------------------------------------------------------------- methods
def make_network(task, seed, **params):
    estimator = VIANNClassifier if task == "classification" else VIANNRegressor
    return estimator(random_state=seed, **params)


def fit_network(case, params):
    net = make_network(case.task, case.seed, **params)
    start = time.perf_counter()
    net.fit(case.X_train, case.y_train)
    return net, time.perf_counter() - start


def viann_scores(net, case):
    return net.feature_importances_


def permutation_scores(net, case):
    result = permutation_importance(net, case.X_test, case.y_test, n_repeats=N_REPEATS, random_state=case.seed)
    return result.importances_mean


NET_METHODS = {"VIANN": viann_scores, "permutation": permutation_scores}


def run_net_methods(case, params, methods=NET_METHODS):
    """AUC and extra seconds of each method that reads the fitted net, plus the net's test score."""
    net, fit_seconds = fit_network(case, params)
    results = {}
    for name, method in methods.items():
        start = time.perf_counter()
        scores = method(net, case)
        results[name] = (ranking_auc(np.asarray(scores, dtype=float), case), time.perf_counter() - start)
    return results, dict(
        fit_seconds=fit_seconds,
        test_score=net.score(case.X_test, case.y_test),
        train_score=net.score(case.X_train, case.y_train),
        epochs=net.n_iter_,
    )


# ---------------------------------------------------------------------- peers
HAS = {
    name: importlib.util.find_spec(module) is not None
    for name, module in [
        ("captum", "captum"),
        ("boruta", "boruta"),
        ("tabnet", "pytorch_tabnet"),
        ("lassonet", "lassonet"),
    ]
}


def integrated_gradients_scores(net, case):
    from peer_methods import integrated_gradients

    targets = None
    if case.task == "classification":
        targets = np.searchsorted(net.classes_, net.predict(case.X_test))
    return integrated_gradients(net.net_.module_, case.X_test, case.X_train.mean(axis=0), targets)


def _forest(case):
    forest = RandomForestClassifier if case.task == "classification" else RandomForestRegressor
    return forest(n_estimators=200, n_jobs=1, random_state=case.seed)


def forest_scores(case):
    """Impurity and permutation importances of one random forest, and the seconds each took."""
    start = time.perf_counter()
    forest = _forest(case).fit(case.X_train, case.y_train)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    permutation = permutation_importance(
        forest, case.X_test, case.y_test, n_repeats=N_REPEATS, random_state=case.seed
    ).importances_mean
    return {
        "RF impurity": (forest.feature_importances_, fit_seconds),
        "RF permutation": (permutation, fit_seconds + time.perf_counter() - start),
    }


def boruta_scores(case):
    from boruta import BorutaPy

    forest = _forest(case).set_params(n_estimators=100, max_depth=5)  # BorutaPy's advice: shallow trees
    selector = BorutaPy(forest, n_estimators="auto", max_iter=50, random_state=case.seed, verbose=0)
    selector.fit(case.X_train, case.y_train)
    return -selector.ranking_.astype(float), selector.support_


def tabnet_scores(case):
    from pytorch_tabnet.tab_model import TabNetClassifier, TabNetRegressor

    X_fit, X_valid, y_fit, y_valid = _split(case.X_train, case.y_train, case.task, case.seed)
    if case.task == "classification":
        model = TabNetClassifier(seed=case.seed, verbose=0)
    else:
        model = TabNetRegressor(seed=case.seed, verbose=0)
        y_fit, y_valid = y_fit.reshape(-1, 1), y_valid.reshape(-1, 1)
    model.fit(
        X_fit.astype(np.float32),
        y_fit,
        eval_set=[(X_valid.astype(np.float32), y_valid)],
        batch_size=min(1024, len(X_fit)),
        virtual_batch_size=min(128, len(X_fit)),
        drop_last=False,
    )
    return model.feature_importances_


def lassonet_scores(case):
    from lassonet import LassoNetClassifier, LassoNetRegressor
    from sklearn.preprocessing import StandardScaler

    # float32: on float64 input its path diverged on wine (NonFiniteLossError).
    X = StandardScaler().fit_transform(case.X_train).astype(np.float32)
    model_class = LassoNetClassifier if case.task == "classification" else LassoNetRegressor
    # A coarser path than the default (1.02) and fewer iterations: the default
    # path took 8 minutes on 500 x 8 data on this machine.
    model = model_class(
        hidden_dims=(32,),
        path_multiplier=1.1,
        n_iters=(200, 50),
        patience=(20, 5),
        random_state=case.seed,
        torch_seed=case.seed,
        verbose=0,
    )
    y = case.y_train if case.task == "classification" else case.y_train.astype(np.float32)
    model.path(X, y, return_state_dicts=False)
    return np.asarray(model.feature_importances_, dtype=float)


def timed(function, *arguments):
    start = time.perf_counter()
    result = function(*arguments)
    return result, time.perf_counter() - start


def all_methods(case, params, with_lassonet=False):
    """AUC and extra seconds of every method on one case, and the net's scores."""
    net_methods = dict(NET_METHODS)
    if HAS["captum"]:
        net_methods["Integrated Gradients"] = integrated_gradients_scores
    results, info = run_net_methods(case, params, net_methods)
    for name, (scores, seconds) in forest_scores(case).items():
        results[name] = (ranking_auc(scores, case), seconds)
    peers = {"BorutaPy": ("boruta", lambda: boruta_scores(case)[0]), "TabNet": ("tabnet", lambda: tabnet_scores(case))}
    if with_lassonet:
        peers["LassoNet"] = ("lassonet", lambda: lassonet_scores(case))
    for name, (module, function) in peers.items():
        if HAS[module]:
            start = time.perf_counter()
            try:
                scores = function()
            except Exception as error:  # a peer that fails on a table is reported, not fatal
                print(
                    f"{name} failed on {case.table} ({case.protocol}, seed {case.seed}): "
                    f"{type(error).__name__}: {str(error)[:120]}",
                    flush=True,
                )
                results[name] = (np.nan, time.perf_counter() - start)
                continue
            results[name] = (ranking_auc(np.asarray(scores, dtype=float), case), time.perf_counter() - start)
    return results, info


def benchmark(tables, seeds, params=None, with_lassonet=False):
    rows = []
    for protocol, make_case in PROTOCOLS.items():
        for table in tables:
            for seed in seeds:
                case = make_case(table, seed)
                results, info = all_methods(case, params or {}, with_lassonet)
                rows.append(dict(protocol=protocol, table=table.name, seed=seed, results=results, **info))
                cells = " ".join(f"{name} {auc:.2f}" for name, (auc, _) in results.items())
                print(
                    f"{protocol:>6} {table.name:>24} seed {seed}: {cells} | fit {info['fit_seconds']:.1f}s", flush=True
                )
    return rows


def _mean_std(values):
    values = np.asarray(values, dtype=float)
    failed = int(np.isnan(values).sum())
    if failed == len(values):
        return "failed"
    note = f" ({failed} failed)" if failed else ""
    return f"{np.nanmean(values):.3f} ± {np.nanstd(values):.3f}{note}"


def benchmark_tables(rows, tables):
    methods = list(rows[0]["results"])
    traits = {table.name: table for table in tables}
    sections = []
    for protocol in PROTOCOLS:
        selected = [row for row in rows if row["protocol"] == protocol]
        lines = [
            f"### Protocol {protocol}",
            "",
            "| table | rows × columns | " + " | ".join(methods) + " | net test score |",
            "|---|---|" + "---|" * (len(methods) + 1),
        ]
        for name in dict.fromkeys(row["table"] for row in selected):
            table_rows = [row for row in selected if row["table"] == name]
            shape = traits[name].X.shape
            cells = [_mean_std([row["results"][method][0] for row in table_rows]) for method in methods]
            lines.append(
                f"| {name} | {shape[0]} × {shape[1]} | "
                + " | ".join(cells)
                + f" | {np.mean([row['test_score'] for row in table_rows]):.3f} |"
            )
        per_table = {
            method: [
                np.nanmean([row["results"][method][0] for row in selected if row["table"] == name])
                for name in dict.fromkeys(row["table"] for row in selected)
            ]
            for method in methods
        }
        lines.append(
            "| **mean (std over tables)** | | "
            + " | ".join(f"**{np.nanmean(values):.3f}** ({np.nanstd(values):.3f})" for values in per_table.values())
            + " | |"
        )
        lines.append(
            "| **worst table** | | " + " | ".join(f"{np.nanmin(values):.3f}" for values in per_table.values()) + " | |"
        )
        lines.append(
            "| **seconds beyond the fit** (mean) | | "
            + " | ".join(f"{np.mean([row['results'][method][1] for row in selected]):.2f}" for method in methods)
            + " | |"
        )
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


# ------------------------------------------------------------------ selection
def selection(tables, seeds):
    """VIANNSelector beside BorutaPy on the truth protocol: recall, false positives, seconds.

    Undrawn columns are not all pure noise: on real tables many correlate with
    a drawn column and so do tell something about the target. Besides the
    rate over all undrawn columns, the rate over the *unrelated* ones
    (|Spearman| < 0.3 with every drawn column, and the drawn columns do not
    predict them: :func:`predictability` below 0.1) is reported.
    """
    from viann_sklearn import VIANNSelector

    rows = []
    for table in tables:
        for seed in seeds:
            case = truth_case(table, seed)
            X = np.vstack([case.X_train, case.X_test])
            y = np.r_[case.y_train, case.y_test]
            full = Case(case.table, "truth", case.task, seed, X, X, y, y, case.positive, case.negative)
            weakly_correlated = spearman_to(X, case.positive)[case.negative].max(axis=1) < UNRELATED_CORRELATION
            unrelated = case.negative[weakly_correlated]
            unrelated = unrelated[predictability(X, case.positive, unrelated, seed) < PREDICTABLE_R2]
            selector = VIANNSelector(make_network(case.task, seed), random_state=seed)
            _, viann_seconds = timed(selector.fit, X, y)
            keeping = VIANNSelector(make_network(case.task, seed), drop_rejected=False, random_state=seed)
            _, keeping_seconds = timed(keeping.fit, X, y)
            (_, boruta_support), boruta_seconds = timed(boruta_scores, full)
            for method, support, seconds in [
                ("VIANNSelector", selector.get_support(), viann_seconds),
                (KEEPING, keeping.get_support(), keeping_seconds),
                ("BorutaPy", boruta_support, boruta_seconds),
            ]:
                rows.append(
                    dict(
                        table=table.name,
                        seed=seed,
                        method=method,
                        seconds=seconds,
                        recall=support[case.positive].mean(),
                        false_positive_rate=support[case.negative].mean(),
                        unrelated_rate=support[unrelated].mean() if len(unrelated) else np.nan,
                        kept=int(support.sum()),
                        n_features=len(support),
                    )
                )
            print(
                f"{table.name:>24} seed {seed}: VIANNSelector keeps {rows[-3]['kept']} "
                f"(recall {rows[-3]['recall']:.2f}, FPR {rows[-3]['false_positive_rate']:.2f}, "
                f"{viann_seconds:.1f}s); keeping rejected {rows[-2]['kept']} (recall {rows[-2]['recall']:.2f}); "
                f"BorutaPy keeps {rows[-1]['kept']} (recall {rows[-1]['recall']:.2f}, "
                f"FPR {rows[-1]['false_positive_rate']:.2f}, {boruta_seconds:.1f}s)",
                flush=True,
            )
    lines = [
        "| table | method | kept of | recall (3 true) | kept among undrawn | kept among unrelated | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in dict.fromkeys(row["table"] for row in rows):
        for method in ("VIANNSelector", KEEPING, "BorutaPy"):
            selected = [row for row in rows if row["table"] == name and row["method"] == method]
            lines.append(
                f"| {name} | {method} | {np.mean([r['kept'] for r in selected]):.1f} of "
                f"{selected[0]['n_features']} | {_mean_std([r['recall'] for r in selected])} "
                f"| {_mean_std([r['false_positive_rate'] for r in selected])} "
                f"| {_mean_std([r['unrelated_rate'] for r in selected])} "
                f"| {np.mean([r['seconds'] for r in selected]):.1f} |"
            )
    for method in ("VIANNSelector", KEEPING, "BorutaPy"):
        selected = [row for row in rows if row["method"] == method]
        lines.append(
            f"| **all** | **{method}** | | **{np.mean([r['recall'] for r in selected]):.3f}** "
            f"| **{np.mean([r['false_positive_rate'] for r in selected]):.3f}** "
            f"| **{np.nanmean([r['unrelated_rate'] for r in selected]):.3f}** "
            f"| **{np.mean([r['seconds'] for r in selected]):.1f}** |"
        )
    return "\n".join(lines)


def null_calibration(tables, n_seeds, alpha=0.05):
    """VIANNSelector(control="per_feature") on real X with a shuffled target: every feature is noise."""
    from viann_sklearn import VIANNSelector

    lines = [
        f"| table | features | seeds | kept per feature (nominal {alpha:.2f}) | runs keeping any |",
        "|---|---|---|---|---|",
    ]
    for table in tables:
        kept, any_kept = [], []
        for seed in range(n_seeds):
            y = np.random.default_rng(seed).permutation(table.y)
            # The per-feature rule: its rate per feature is what this table reports
            # (benchmarks/selection.py measures the default, FDR control, on pure noise).
            selector = VIANNSelector(
                make_network(table.task, seed), alpha=alpha, control="per_feature", random_state=seed
            ).fit(table.X, y)
            kept.append(selector.get_support().mean())
            any_kept.append(selector.get_support().any())
        lines.append(
            f"| {table.name} | {table.X.shape[1]} | {n_seeds} | {np.mean(kept):.3f} | {np.mean(any_kept):.2f} |"
        )
        print(lines[-1], flush=True)
    return "\n".join(lines)


# ---------------------------------------------------------------- candidates
CANDIDATES = {
    # MLPClassifier's way: train on everything until the training loss stops improving.
    "no early stopping": dict(early_stopping=False),
    # The default since issue 11: early_stopping="auto".
    "defaults": {},
    "longer patience (20)": dict(n_iter_no_change=20),
    "validation_fraction=0.2": dict(validation_fraction=0.2),
    "max_iter=30": dict(early_stopping=False, max_iter=30),
}


def candidates(tables, seeds, names):
    rows = []
    for candidate in names:
        params = CANDIDATES[candidate]
        for protocol, make_case in PROTOCOLS.items():
            for table in tables:
                for seed in seeds:
                    case = make_case(table, seed)
                    results, info = run_net_methods(case, params)
                    rows.append(
                        dict(
                            candidate=candidate,
                            protocol=protocol,
                            table=table.name,
                            seed=seed,
                            viann=results["VIANN"][0],
                            permutation=results["permutation"][0],
                            **info,
                        )
                    )
                    print(
                        f"{candidate:>14} {protocol:>6} {table.name:>24} seed {seed}: "
                        f"VIANN {results['VIANN'][0]:.3f} perm {results['permutation'][0]:.3f} "
                        f"train {info['train_score']:.3f} test {info['test_score']:.3f} "
                        f"epochs {info['epochs']} fit {info['fit_seconds']:.1f}s",
                        flush=True,
                    )
    return rows


def summarize_candidates(rows):
    lines = [
        "| candidate | protocol | VIANN mean AUC | min table mean | permutation mean AUC | test score |",
        "|---|---|---|---|---|---|",
    ]
    keys = sorted(
        {(row["candidate"], row["protocol"]) for row in rows}, key=lambda key: (list(CANDIDATES).index(key[0]), key[1])
    )
    for candidate, protocol in keys:
        selected = [row for row in rows if row["candidate"] == candidate and row["protocol"] == protocol]
        per_table = {}
        for row in selected:
            per_table.setdefault(row["table"], []).append(row["viann"])
        lines.append(
            f"| {candidate} | {protocol} | {np.mean([r['viann'] for r in selected]):.3f} "
            f"| {min(np.mean(v) for v in per_table.values()):.3f} "
            f"| {np.mean([r['permutation'] for r in selected]):.3f} "
            f"| {np.mean([r['test_score'] for r in selected]):.3f} |"
        )
    return "\n".join(lines)


def _versions():
    import platform

    import sklearn
    import torch

    import viann_sklearn

    return (
        f"viann-sklearn {viann_sklearn.__version__}, scikit-learn {sklearn.__version__}, torch {torch.__version__}, "
        f"numpy {np.__version__}, Python {platform.python_version()}; peers installed: "
        + ", ".join(name for name, present in HAS.items() if present)
    )


def _report(path, title, command, body, started):
    text = f"{title}\n\nProduced by `{command}` in {time.perf_counter() - started:.0f} s ({_versions()}).\n\n{body}\n"
    print(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tables", nargs="+", choices=TABLE_NAMES, default=None)
    parser.add_argument("--quick", action="store_true", help="2 small tables, 1 seed, results not written")
    parser.add_argument("--patience-steps", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--out", default=None, help="the results file (default: the mode's own file in benchmarks/results/)"
    )
    parser.add_argument(
        "--lassonet",
        action="store_true",
        help="add LassoNet (its regularisation path costs minutes per fit on the larger tables)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--candidates",
        nargs="*",
        default=None,
        metavar="NAME",
        help=f"compare candidate settings (default: all of {list(CANDIDATES)})",
    )
    mode.add_argument("--selection", action="store_true", help="VIANNSelector beside BorutaPy (truth protocol)")
    mode.add_argument(
        "--null",
        type=int,
        default=None,
        metavar="SEEDS",
        help="VIANNSelector's false-positive rate with shuffled targets over SEEDS seeds",
    )
    args = parser.parse_args(argv)
    table_names = ["wine", "diabetes"] if args.quick else args.tables
    seeds = range(1 if args.quick else args.seeds)
    tables = load_tables(table_names)
    if args.patience_steps is not None:  # exploring the constant behind early_stopping="auto"
        import viann_sklearn.estimators.early_stopping

        viann_sklearn.estimators.early_stopping.AUTO_MIN_PATIENCE_STEPS = args.patience_steps
    command = "python benchmarks/real_data.py " + " ".join(argv if argv is not None else __import__("sys").argv[1:])
    started = time.perf_counter()
    if args.candidates is not None:
        body = summarize_candidates(candidates(tables, seeds, args.candidates or list(CANDIDATES)))
        name, title = "real_data_candidates.md", "### Candidate settings on real tables (VIANN and permutation)"
    elif args.selection:
        body = selection(tables, seeds)
        name, title = "real_data_selection.md", "### VIANNSelector beside BorutaPy, protocol truth"
    elif args.null is not None:
        body = null_calibration(tables, args.null)
        name, title = "real_data_null.md", "### VIANNSelector on pure noise (shuffled targets)"
    else:
        body = benchmark_tables(benchmark(tables, seeds, with_lassonet=args.lassonet), tables)
        name, title = "real_data.md", f"### Real tables: ROC-AUC of informative columns over noise, {len(seeds)} seeds"
    if args.quick:
        print(body)
    else:
        _report(Path(args.out) if args.out else RESULTS / name, title, command, body, started)


if __name__ == "__main__":
    main()
