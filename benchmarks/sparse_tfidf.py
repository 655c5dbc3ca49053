"""Sparse input at scale: a TF-IDF matrix, our estimator against MLPClassifier on the same data.

The matrix is generated (no download): documents of Zipf-distributed words
from a vocabulary of ``--vocabulary`` words, the class decided by a few
words, then TF-IDF weighted with scikit-learn's ``TfidfTransformer``. Each
estimator fits in a fresh process, so that its peak resident memory (from
``getrusage``) is its own; the data's own size is printed beside it, and so
is the peak above the process's resident memory just before ``fit`` (after
the imports and the data: torch's own footprint is ~400 MiB of the absolute
figure).

Expected: VIANNClassifier's peak stays a few hundred MiB above its pre-fit
memory, since no batch is densified; what remains is the dense first layer,
its optimizer state, VIANN's float64 statistics and early stopping's copies.

Usage::

    python benchmarks/sparse_tfidf.py                 # 20,000 x 50,000, 5 epochs each
    python benchmarks/sparse_tfidf.py --rows 2000 --vocabulary 5000 --epochs 2   # quick
"""

import argparse
import json
import resource
import subprocess
import sys
import time
import warnings

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer


def make_tfidf(n_rows, vocabulary, seed=0, words_per_document=80):
    rng = np.random.default_rng(seed)
    words = np.minimum(rng.zipf(1.3, size=(n_rows, words_per_document)), vocabulary) - 1
    rows = np.repeat(np.arange(n_rows), words_per_document)
    counts = sparse.csr_matrix((np.ones(rows.size), (rows, words.ravel())), shape=(n_rows, vocabulary))
    counts.sum_duplicates()
    # The class: whether a document uses more of words 10-19 than of words 20-29.
    signal = np.asarray(counts[:, 10:20].sum(axis=1) - counts[:, 20:30].sum(axis=1)).ravel()
    y = (signal + 0.5 * rng.normal(size=n_rows) > 0).astype(int)
    return TfidfTransformer().fit_transform(counts).astype(np.float32).tocsr(), y


def resident_mib():
    """Resident memory now (Linux), or None where /proc is missing."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:
        return None


def fit_one(name, n_rows, vocabulary, epochs):
    """Fit one estimator in this process and return its time and peak memory."""
    X, y = make_tfidf(n_rows, vocabulary)
    if name == "VIANNClassifier":
        from viann_sklearn import VIANNClassifier

        model = VIANNClassifier(max_iter=epochs, random_state=0)
    else:
        from sklearn.neural_network import MLPClassifier

        model = MLPClassifier(max_iter=epochs, random_state=0)
    warnings.simplefilter("ignore")
    before_mib = resident_mib()
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    data_mib = (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 2**20
    return dict(
        estimator=name,
        seconds=seconds,
        peak_mib=peak_mib,
        peak_above_mib=None if before_mib is None else peak_mib - before_mib,
        data_mib=data_mib,
        nnz=int(X.nnz),
        epochs=int(model.n_iter_),
        train_accuracy=float(model.score(X, y)),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--vocabulary", type=int, default=50_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(fit_one(args.child, args.rows, args.vocabulary, args.epochs)))
        return
    print(
        "| estimator | rows × columns | stored values | data (MiB) | epochs | seconds | peak memory (MiB) "
        "| peak above pre-fit (MiB) | training accuracy |\n|---|---|---|---|---|---|---|---|---|"
    )
    for name in ("VIANNClassifier", "MLPClassifier"):
        command = [
            sys.executable,
            __file__,
            "--rows",
            str(args.rows),
            "--vocabulary",
            str(args.vocabulary),
            "--epochs",
            str(args.epochs),
            "--child",
            name,
        ]
        result = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        above = "n/a" if result["peak_above_mib"] is None else f"{result['peak_above_mib']:.0f}"
        print(
            f"| {name} | {args.rows} × {args.vocabulary} | {result['nnz']} | {result['data_mib']:.0f} "
            f"| {result['epochs']} | {result['seconds']:.1f} | {result['peak_mib']:.0f} | {above} "
            f"| {result['train_accuracy']:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
