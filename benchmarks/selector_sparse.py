"""VIANNSelector on sparse TF-IDF rows: which words beat their shadows, sparse against dense.

The data is ``sparse_tfidf.make_tfidf``: documents of Zipf-distributed words,
the class decided by whether words 10-19 outnumber words 20-29. Those 20
words are the signal; every other word is unrelated to the class, so the
share of them kept should be near ``alpha`` (0.05 by default; the selector
makes no multiple-testing correction).

The same matrix is given once as CSR and once densified. The two fits are
not the same network: dense columns are centred by ``standardize``, sparse
ones only scaled (centring would densify them).

Usage::

    python benchmarks/selector_sparse.py                     # 5,000 x 2,000, 3 seeds, ~1 minute
    python benchmarks/selector_sparse.py --rows 1000 --vocabulary 300 --seeds 1   # quick
"""

import argparse
import time
import warnings

from sparse_tfidf import make_tfidf

from viann_sklearn import VIANNClassifier, VIANNSelector

SIGNAL_WORDS = set(range(10, 30))


def select_once(X, y, seed, control):
    """Words kept, seconds and shadows a fit, for one seeded selector at the defaults but ``control``."""
    start = time.perf_counter()
    selector = VIANNSelector(VIANNClassifier(random_state=seed), control=control, random_state=seed).fit(X, y)
    return set(selector.get_support(indices=True).tolist()), time.perf_counter() - start, selector.n_shadows_


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--vocabulary", type=int, default=2_000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # ConvergenceWarning from short fits is not the point here
    X, y = make_tfidf(args.rows, args.vocabulary)
    other_words = args.vocabulary - len(SIGNAL_WORDS)
    print(f"{args.rows} x {args.vocabulary} TF-IDF, {X.nnz} stored values, {len(SIGNAL_WORDS)} signal words\n")
    print(
        "| control | input | seed | shadows a fit | signal words kept | other words kept "
        "| share of the kept that are other words | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for control in ("fdr", "per_feature"):
        for name, data in (("sparse CSR", X), ("dense", X.toarray())):
            for seed in range(args.seeds):
                kept, seconds, n_shadows = select_once(data, y, seed, control)
                false_positives = len(kept - SIGNAL_WORDS)
                print(
                    f"| {control} | {name} | {seed} | {n_shadows} | {len(kept & SIGNAL_WORDS)} of {len(SIGNAL_WORDS)} "
                    f"| {false_positives} of {other_words} | {false_positives / max(1, len(kept)):.3f} "
                    f"| {seconds:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
