"""What ``--report`` adds to a run of the README's example: ``viann rank`` with and without it.

Compared: the README's command (``viann rank docs/_static/houses.csv --target price_k --cv 5``)
as a whole process, with and without ``--report ranking.html``, in alternating pairs so that a
machine busy with other work slows both alike; and, inside one process, the time spent writing
the report alone (matplotlib's import, two SVG charts, the page). Each is timed twice: wall
clock, and the CPU time the process used, which work of other processes on the same core
hardly changes (wall-clock times on a shared core measure the neighbours as much as the
command). Expected: the report adds under a second of CPU time to a run of several seconds,
most of it matplotlib's import.

Usage::

    OMP_NUM_THREADS=1 taskset -c 1 python benchmarks/report_cost.py            # 5 pairs
    python benchmarks/report_cost.py --pairs 3
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README_EXAMPLE = ["rank", str(ROOT / "docs" / "_static" / "houses.csv"), "--target", "price_k", "--cv", "5", "--quiet"]


def time_inside_one_process(report: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds in the CLI's report writer, in a process without matplotlib loaded yet."""
    import viann_sklearn.cli.rank as rank
    from viann_sklearn.cli import main

    spent = []
    write_report = rank._save_report

    def timed(*args, **kwargs):
        start, start_cpu = time.perf_counter(), time.process_time()
        write_report(*args, **kwargs)
        spent.append((time.perf_counter() - start, time.process_time() - start_cpu))

    rank._save_report = timed
    try:
        with open("/dev/null", "w") as quiet:
            stdout, sys.stdout = sys.stdout, quiet
            try:
                main([*README_EXAMPLE, "--report", str(report)])
            finally:
                sys.stdout = stdout
    finally:
        rank._save_report = write_report
    return spent[0]


def time_process(extra: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one ``viann rank`` process."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run([sys.executable, "-m", "viann_sklearn", *README_EXAMPLE, *extra], check=True, capture_output=True)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="runs with and without --report (default: 5 each)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "ranking.html"
        # First, while this process has not imported matplotlib: a real run pays for its import too.
        inside = time_inside_one_process(report)
        size = report.stat().st_size
        without, with_report = [], []
        for _ in range(options.pairs):
            without.append(time_process([]))
            with_report.append(time_process(["--report", str(report)]))
    print("viann rank docs/_static/houses.csv --target price_k --cv 5 --quiet [--report ranking.html]")
    print(f"{'':28} {'median s':>9}   runs (s)")
    for clock, column in (("wall clock", 0), ("CPU time", 1)):
        median_without = statistics.median(run[column] for run in without)
        median_with = statistics.median(run[column] for run in with_report)
        print(f"{clock}:")
        print(f"  {'without --report':26} {median_without:9.2f}   " + " ".join(f"{run[column]:.2f}" for run in without))
        print(
            f"  {'with --report ranking.html':26} {median_with:9.2f}   "
            + " ".join(f"{run[column]:.2f}" for run in with_report)
        )
        print(f"  difference of the medians: {median_with - median_without:+.2f} s")
    wall, cpu = inside
    print(
        f"writing the report inside one run: {wall:.2f} s wall clock, {cpu:.2f} s CPU (page of {size / 1024:.0f} KiB)"
    )


if __name__ == "__main__":
    main()
