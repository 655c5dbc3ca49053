"""VIANNSelector on sparse TF-IDF rows: which words beat their shadows, sparse against dense.

The data is ``sparse_tfidf.make_tfidf``: documents of Zipf-distributed words,
the class decided by whether words 10-19 outnumber words 20-29. Those 20
words are the signal; every other word is unrelated to the class: under FDR
control (the default) at most ``alpha`` of the kept words should be among
them, and with ``control="per_feature"`` about ``alpha`` of them are kept.
Both of the selector's tests (``--tests hits rank``) are run.

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


def select_once(X, y, seed, control, test, drop_rejected="auto"):
    """Words kept, seconds, shadows a fit and fits trained: one seeded selector, defaults but these."""
    start = time.perf_counter()
    network = VIANNClassifier(random_state=seed)
    selector = VIANNSelector(network, control=control, test=test, drop_rejected=drop_rejected, random_state=seed)
    selector.fit(X, y)
    kept = set(selector.get_support(indices=True).tolist())
    return kept, time.perf_counter() - start, selector.n_shadows_, selector.n_fits_


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--vocabulary", type=int, default=2_000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tests", nargs="+", choices=["hits", "rank"], default=["hits", "rank"])
    parser.add_argument("--controls", nargs="+", choices=["fdr", "per_feature"], default=["fdr", "per_feature"])
    parser.add_argument(
        "--keep-rejected", action="store_true", help="VIANNSelector(drop_rejected=False), the default before"
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # ConvergenceWarning from short fits is not the point here
    X, y = make_tfidf(args.rows, args.vocabulary)
    other_words = args.vocabulary - len(SIGNAL_WORDS)
    drop_rejected = False if args.keep_rejected else "auto"
    keeping = ", drop_rejected=False" if args.keep_rejected else ""
    print(f"{args.rows} x {args.vocabulary} TF-IDF, {X.nnz} stored values, {len(SIGNAL_WORDS)} signal words{keeping}")
    print()
    print(
        "| test | control | input | seed | shadows a fit | fits | signal words kept | other words kept "
        "| share of the kept that are other words | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for test in args.tests:
        for control in args.controls:
            for name, data in (("sparse CSR", X), ("dense", X.toarray())):
                for seed in range(args.seeds):
                    kept, seconds, n_shadows, n_fits = select_once(data, y, seed, control, test, drop_rejected)
                    false_positives = len(kept - SIGNAL_WORDS)
                    print(
                        f"| {test} | {control} | {name} | {seed} | {n_shadows} | {n_fits} "
                        f"| {len(kept & SIGNAL_WORDS)} of {len(SIGNAL_WORDS)} | {false_positives} of {other_words} "
                        f"| {false_positives / max(1, len(kept)):.3f} | {seconds:.1f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
