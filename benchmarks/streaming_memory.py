"""Peak memory and time of fit_stream on 10^6 x 100 float32 rows, never wholly in memory.

The full data would be 400 MB (381 MiB). It is never in memory here:

- ``numpy``: chunks generated on the fly (each from its own seed, so every
  pass reads the same rows) and streamed with ``fit_stream``;
- ``parquet``: the same rows written first to a directory of Parquet files
  (10 files, row groups of one chunk) and streamed with ``parquet_chunks``;
- ``in-memory`` (with ``--in-memory``): for reference, ``fit`` on all the
  rows, generated into one array (``early_stopping=False``, as the stream
  holds nothing out).

The streamed times include reading (or generating) every chunk twice: once
for the statistics, once for the epoch.

Each runs in a fresh process, so that its peak resident memory (``getrusage``
``ru_maxrss``) is its own; "baseline" is that process's peak after its
imports and a warm-up fit on 2,000 rows (torch allocates its buffers and
thread pools on the first passes), before any of the data. Sizes in MiB
(2^20 bytes), as ``ru_maxrss`` counts them. Expected: the streamed peaks exceed the baseline by
a few chunks (the chunk being trained on, the next one being read, and the
reader's buffers), far below the 381 MiB of the data, and do not depend on the
number of rows. One epoch (``max_iter=1``), otherwise the defaults
(``VIANNClassifier()``: one hidden layer of 100, SGD, batches of 200).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/streaming_memory.py            # 10^6 x 100, chunks of 50,000
    python benchmarks/streaming_memory.py --rows 100000 --in-memory   # quick
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

N_FEATURES = 100
MiB = 1024 * 1024


def make_chunk(seed, n_rows):
    """One chunk of the data set: float32 features, a class decided by columns 0, 1 and 2."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal(size=(n_rows, N_FEATURES), dtype=np.float32)
    y = (X[:, 0] + X[:, 1] - X[:, 2] + 0.5 * rng.standard_normal(n_rows, dtype=np.float32) > 0).astype(np.int64)
    return X, y


def chunk_sizes(n_rows, chunk_rows):
    return [min(chunk_rows, n_rows - start) for start in range(0, n_rows, chunk_rows)]


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_child(mode, n_rows, chunk_rows, directory):
    """Train in this process and print one JSON line: time and peak memory."""
    from sklearn.exceptions import ConvergenceWarning

    from viann_sklearn import VIANNClassifier, fit_stream, parquet_chunks

    warnings.simplefilter("ignore", ConvergenceWarning)
    after_imports = peak_rss_mb()
    # torch's first forward and backward passes allocate buffers and thread pools once:
    # a warm-up on 2,000 rows puts them (and the model's size) in the baseline.
    fit_stream(VIANNClassifier(max_iter=1, random_state=0), [make_chunk(12345, 1000)] * 2, classes=[0, 1])
    baseline = peak_rss_mb()
    clf = VIANNClassifier(max_iter=1, random_state=0)
    sizes = chunk_sizes(n_rows, chunk_rows)
    start = time.perf_counter()
    if mode == "numpy":

        def chunks():
            for seed, size in enumerate(sizes):
                yield make_chunk(seed, size)

        fit_stream(clf, chunks, classes=[0, 1])
    elif mode == "parquet":
        fit_stream(clf, parquet_chunks(directory, target="y"), classes=[0, 1])
    else:
        # Generated into one array, so that the peak is fit's and not a concatenation's.
        X, y = np.empty((n_rows, N_FEATURES), dtype=np.float32), np.empty(n_rows, dtype=np.int64)
        for seed, first_row in enumerate(range(0, n_rows, chunk_rows)):
            rows = slice(first_row, first_row + chunk_rows)
            X[rows], y[rows] = make_chunk(seed, sizes[seed])
        clf.set_params(early_stopping=False).fit(X, y)
    seconds = time.perf_counter() - start
    model_mb = sum(p.numel() * p.element_size() for p in clf.net_.module_.parameters()) / MiB
    print(
        json.dumps(
            dict(
                mode=mode,
                seconds=seconds,
                after_imports_mb=after_imports,
                baseline_mb=baseline,
                peak_mb=peak_rss_mb(),
                model_mb=model_mb,
                rows_seen=clf.t_,
                top_features=np.argsort(clf.feature_importances_)[::-1][:3].tolist(),
            )
        )
    )


def write_parquet(directory, n_rows, chunk_rows, n_files=10):
    """The same rows as the numpy stream, in n_files files with row groups of chunk_rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = [f"x{column}" for column in range(N_FEATURES)]
    sizes = chunk_sizes(n_rows, chunk_rows)
    per_file = -(-len(sizes) // n_files)
    for file_number in range(0, len(sizes), per_file):
        path = Path(directory) / f"part-{file_number // per_file:03d}.parquet"
        writer = None
        for seed in range(file_number, min(file_number + per_file, len(sizes))):
            X, y = make_chunk(seed, sizes[seed])
            table = pa.table({**{name: X[:, i] for i, name in enumerate(names)}, "y": y})
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=chunk_rows)
        writer.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--in-memory", action="store_true", help="also fit on all rows in memory, for reference")
    parser.add_argument("--child", choices=["numpy", "parquet", "in-memory"], help=argparse.SUPPRESS)
    parser.add_argument("--directory", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.rows, args.chunk_rows, args.directory)
        return

    data_mb = args.rows * N_FEATURES * 4 / MiB
    chunk_mb = args.chunk_rows * N_FEATURES * 4 / MiB
    directory = tempfile.mkdtemp(prefix="viann_stream_", dir="/tmp")
    try:
        start = time.perf_counter()
        write_parquet(directory, args.rows, args.chunk_rows)
        write_seconds = time.perf_counter() - start
        on_disk_mb = sum(path.stat().st_size for path in Path(directory).iterdir()) / MiB
        modes = ["numpy", "parquet"] + (["in-memory"] if args.in_memory else [])
        results = []
        for mode in modes:
            command = [sys.executable, __file__, "--child", mode, "--rows", str(args.rows)]
            command += ["--chunk-rows", str(args.chunk_rows), "--directory", directory]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            results.append(json.loads(output.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(directory)

    print(
        f"{args.rows:,} x {N_FEATURES} float32 rows = {data_mb:.0f} MiB; chunks of {args.chunk_rows:,} rows = "
        f"{chunk_mb:.1f} MiB; Parquet files written in {write_seconds:.1f} s ({on_disk_mb:.0f} MiB on disk); "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; one epoch, VIANNClassifier defaults."
    )
    print()
    print(
        "| source | time (s) | peak RSS (MiB) | after imports (MiB) | baseline: after a warm-up fit (MiB) | "
        "peak − baseline (MiB) | in chunks | vs the full data | top features |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for result in results:
        above = result["peak_mb"] - result["baseline_mb"]
        print(
            f"| {result['mode']} | {result['seconds']:.1f} | {result['peak_mb']:.0f} | "
            f"{result['after_imports_mb']:.0f} | {result['baseline_mb']:.0f} | "
            f"{above:.0f} | {above / chunk_mb:.1f} | {above / data_mb:.2f}× | {result['top_features']} |"
        )
    model_mb = results[0]["model_mb"]
    print()
    print(
        f"Model parameters: {model_mb:.2f} MiB. One chunk + model = {chunk_mb + model_mb:.1f} MiB above the baseline."
    )


if __name__ == "__main__":
    main()
