"""Reading a table from a file and deciding what to do with each of its columns.

Used by the ``viann`` command line. Real CSV files hold identifiers, dates,
numbers written with thousands separators, free text and empty columns; each
gets a treatment chosen once, on all the data (:func:`plan_columns`), and the
treatment becomes a ``ColumnTransformer`` (:func:`preprocessor`), so that a
saved model applies the same one to new data.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

__all__ = ["ColumnPlan", "TableError", "plan_columns", "preprocessor", "read_table"]

#: A text column with more distinct values than this is one-hot encoded over its
#: most frequent values only, the rest grouped as one "infrequent" feature.
MAX_CATEGORIES = 20
#: Markers of a missing value that pandas does not know (it knows "NA", "n/a", "null"...).
MISSING_MARKERS = ("?", "-", "--", ".")
_SEPARATORS = (",", ";", "\t", "|")
# Names of identifiers: "id", "row_num", "user_id", "user.ID" in any case; "userId" in camelCase
# only, so that "malic_acid" is not one.
_ID_NAME = re.compile(r"(?i:^(id|uuid|guid|key|index|row|row_?(id|num|number)|unnamed: ?0)$|(^|[_ .-])id$)|[a-z]I[dD]$")
#: Below this many rows a column of distinct whole numbers is not remarked on.
_CODES_MIN_ROWS = 20
_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
# Numbers written with separators, as "3,750.5" (comma groups), "3.750,5" (dot groups) or "3 750,5".
_NUMBER_FORMATS = {
    (",", "."): re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$"),
    (".", ","): re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"),
    (" ", ","): re.compile(r"^[+-]?\d{1,3}([  ']\d{3})+(,\d+)?$"),
    (" ", "."): re.compile(r"^[+-]?\d{1,3}([  ']\d{3})+(\.\d+)?$"),
}


class TableError(ValueError):
    """The file or one of its columns cannot be used; the message says which and why."""


def read_table(
    path: Path, *, sep: str | None = None, encoding: str | None = None, decimal: str | None = None
) -> pd.DataFrame:
    """Read a CSV or Parquet file, its dialect sniffed once and applied to every column, the target too.

    The separator is sniffed among ``, ; tab |`` and the decimal mark among
    ``.`` and ``,`` (see :func:`sniff_decimal`); pandas' parser then reads
    the numbers, ``7,3e-05`` included. Given ones are used as they are.

    Raises :class:`TableError` for a missing, empty or unreadable file.
    """
    if not path.is_file():
        raise TableError(f"no such file: {path}")
    try:
        if path.suffix.lower() == ".parquet":
            sep = None
            frame = pd.read_parquet(path)  # never pickle: nothing is unpickled from a user path
        else:
            encoding = encoding or "utf-8"
            sep = sep or sniff_separator(path, encoding)
            decimal = decimal or sniff_decimal(path, encoding, sep)
            frame = pd.read_csv(path, sep=sep, decimal=decimal, encoding=encoding, skipinitialspace=True)
    except ImportError as error:
        raise TableError(f"cannot read {path.name}: {error}") from None
    except UnicodeDecodeError as error:
        raise TableError(
            f"cannot read {path.name}: it is not {error.encoding} text (byte "
            f"{error.object[error.start]:#04x} at position {error.start}); "
            "give its encoding, e.g. --encoding latin-1"
        ) from None
    except LookupError as error:  # an unknown --encoding
        raise TableError(f"cannot read {path.name}: {error}") from None
    except pd.errors.EmptyDataError:
        raise TableError(f"cannot read {path.name}: the file is empty") from None
    except (pd.errors.ParserError, ValueError, OSError) as error:
        raise TableError(f"cannot read {path.name}: {str(error).splitlines()[0]}") from None
    if frame.empty:
        raise TableError(f"{path.name} has no data rows")
    frame.columns = [str(column).strip() for column in frame.columns]
    # What the text columns' numbers are read with too (see plan_columns).
    frame.attrs["decimal"] = decimal or "."
    return frame


def sniff_separator(path: Path, encoding: str) -> str:
    """The separator that splits the first lines into the most fields, the same number on each line.

    A comma wins ties; ``.tsv`` files default to tabs. :class:`csv.Sniffer`
    was tried first, but it takes the comma in ``"3,750"`` for a separator
    in files whose fields are separated by semicolons.
    """
    with open(path, encoding=encoding, newline="") as file:
        lines = [line for _, line in zip(range(50), file)]
    default = "\t" if path.suffix.lower() == ".tsv" else ","
    best, best_fields = default, 1
    for separator in (default, *(s for s in _SEPARATORS if s != default)):
        counts = {len(row) for row in csv.reader(lines, delimiter=separator) if row}
        if len(counts) == 1 and (fields := counts.pop()) > best_fields:
            best, best_fields = separator, fields
    return best


def sniff_decimal(path: Path, encoding: str, sep: str) -> str:
    """The decimal mark of a file: the one with which pandas reads more of its first rows' columns as numbers.

    A comma-separated file keeps ``"."``: a comma inside one of its numbers
    is quoted and groups thousands (``"3,750"``), which the column plan reads.
    Files separated otherwise (``;`` by European spreadsheets and R's
    ``write.csv2``, tabs) are read both ways.
    """
    if sep == ",":
        return "."
    numbers = {}
    for mark in (".", ","):
        sample = pd.read_csv(path, sep=sep, decimal=mark, encoding=encoding, nrows=200, skipinitialspace=True)
        numbers[mark] = sum(dtype.kind == "f" for dtype in sample.dtypes)
    return "," if numbers[","] > numbers["."] else "."


@dataclass
class ColumnPlan:
    """What happens to each column: the groups that become features, and what is left out.

    Attributes
    ----------
    numeric : list of str
        Numbers, imputed and standardised.
    written_numbers : dict of str to (str or None, str)
        Numbers stored as text, with their thousands separator and decimal mark.
    dates : dict of str to list of str
        Dates, and the numeric parts they are turned into (``year``, ``month``...).
    categorical : list of str
        Text, one-hot encoded.
    dropped : dict of str to str
        Columns left out, with the reason; the ranking lists them, whatever the verbosity.
    notes, warnings : list of str
        What the user should know about the columns used; warnings also when ``--quiet``.
    """

    numeric: list[str] = field(default_factory=list)
    written_numbers: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    dates: dict[str, list[str]] = field(default_factory=dict)
    categorical: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def used(self) -> list[str]:
        return [*self.numeric, *self.written_numbers, *self.dates, *self.categorical]


def plan_columns(
    X: pd.DataFrame,
    *,
    drop: tuple[str, ...] = (),
    keep: tuple[str, ...] = (),
    as_numbers: tuple[str, ...] = (),
    as_categories: tuple[str, ...] = (),
    decimal_comma: bool = False,
) -> ColumnPlan:
    """Decide how each column of ``X`` becomes features, or why it is left out.

    Parameters
    ----------
    X : DataFrame
        The table without its target.
    drop : tuple of str
        Columns the user leaves out.
    keep : tuple of str
        Columns to use even if they look like identifiers.
    as_numbers, as_categories : tuple of str
        Columns to read as numbers (any text in them becomes missing), or
        to one-hot encode whatever they hold; by default a column that
        mixes numbers and a few words is categories if it has at most
        ``MAX_CATEGORIES`` distinct values, else numbers.
    decimal_comma : bool
        Read ``3,5`` as three and a half (files separated by ``;`` usually
        are written so) rather than ``3,750`` as three thousand...

    Returns
    -------
    plan : ColumnPlan

    Raises
    ------
    TableError
        A column named in an option does not exist, or no column is left.
    """
    for option, names in (
        ("--drop", drop),
        ("--keep", keep),
        ("--as-numbers", as_numbers),
        ("--as-categories", as_categories),
    ):
        unknown = [name for name in names if name not in X.columns]
        if unknown:
            raise TableError(f"{option}: no column {unknown[0]!r} in the data; columns: {_some(X.columns)}")
    plan = ColumnPlan()
    for column in X.columns:
        values = X[column]
        if column in drop:
            plan.dropped[column] = "--drop"
        elif values.isna().all():
            plan.dropped[column] = "empty: every value missing"
        elif column in as_categories:
            plan.categorical.append(column)
            plan.notes.append(f"column {column!r}: one-hot encoded (--as-categories)")
        elif column in as_numbers:
            plan.written_numbers[column] = (None, "," if decimal_comma else ".")
            plan.notes.append(f"column {column!r}: read as numbers, any text in it as missing (--as-numbers)")
        elif values.dtype.kind in "fiub":
            _plan_numbers(plan, column, values, keep)
        else:
            _plan_text(plan, column, values, keep, decimal_comma)
    if not plan.used:
        raise TableError("no column is left to rank" + (f" (left out: {_some(plan.dropped)})" if plan.dropped else ""))
    return plan


def _plan_numbers(plan, column, values, keep):
    if column not in keep and _looks_like_identifier(column, values):
        plan.dropped[column] = (
            f"identifier: unique whole numbers, {'increasing' if _monotonic(values) else 'named so'}; "
            f"--keep {_quote(column)} ranks it"
        )
        return
    if column not in keep and _ID_NAME.search(column):
        plan.warnings.append(
            f"column {column!r} is named like an identifier; ranked anyway (--drop {_quote(column)} leaves it out)"
        )
    elif column not in keep and values.dtype.kind in "iu" and len(values) >= _CODES_MIN_ROWS and values.is_unique:
        plan.warnings.append(
            f"column {column!r} holds a different whole number in each of its {len(values)} rows, in no "
            f"order: codes or identifiers rather than quantities? Ranked anyway (--drop {_quote(column)} "
            "leaves it out)"
        )
    plan.numeric.append(column)


def _plan_text(plan, column, values, keep, decimal_comma):
    text = values.dropna().astype(str).str.strip()
    text = text[~text.isin(MISSING_MARKERS) & (text != "")]
    if text.empty:
        plan.dropped[column] = "empty: every value missing"
        return
    number_format = _number_format(text, decimal_comma)
    if number_format == (None, ".") and column not in keep and _row_numbers_as_text(column, text):
        plan.dropped[column] = f"identifier: unique whole numbers, as text; --keep {_quote(column)} ranks it"
        return
    if number_format is not None:
        plan.written_numbers[column] = number_format
        written = text[text.str.contains(r"[^\d+-]")]  # none: whole numbers around missing markers
        if len(written):
            thousands, decimal = number_format
            plan.notes.append(
                f"column {column!r}: numbers written as text (e.g. {written.iloc[0]!r}), read with "
                f"{_separator_name(thousands)} between thousands and {decimal!r} as the decimal mark"
            )
        return
    share_of_numbers = np.mean([_is_number(value) for value in text[:1000]])
    if 0.5 < share_of_numbers < 1:  # mostly numbers and a few words: an R factor such as 3/4/5/6/8/"rotary"
        example = next(value for value in text if not _is_number(value))
        distinct = text.nunique()
        if distinct <= MAX_CATEGORIES:
            plan.categorical.append(column)
            plan.notes.append(
                f"column {column!r} mixes numbers and text (e.g. {example!r}): its {distinct} values are "
                f"used as categories; --as-numbers {_quote(column)} reads the numbers, the text as missing"
            )
        elif column not in keep and _row_numbers_as_text(column, text):
            plan.dropped[column] = f"identifier: unique whole numbers (and some text); --keep {_quote(column)} ranks it"
        else:
            plan.written_numbers[column] = (None, "," if decimal_comma else ".")
            n_text = int((~text.map(_is_number)).sum())
            plan.warnings.append(
                f"column {column!r} mixes numbers and text (e.g. {example!r}): read as numbers, its "
                f"{n_text} text value(s) as missing; --as-categories {_quote(column)} one-hot encodes it instead"
            )
        return
    if text.map(lambda value: bool(_DATE.match(value))).all():
        parsed = pd.to_datetime(text, errors="coerce", format="mixed")
        if parsed.notna().all():
            has_time = bool((parsed.dt.hour != 0).any() or (parsed.dt.minute != 0).any())
            plan.dates[column] = ["year", "month", "day", "weekday", *(["hour"] if has_time else [])]
            plan.notes.append(f"column {column!r}: dates, used as {', '.join(plan.dates[column])}")
            return
    distinct = text.nunique()
    if column not in keep and distinct == len(text) and _ID_NAME.search(column):
        plan.dropped[column] = f"identifier: unique, named so; --keep {_quote(column)} ranks it"
    elif column not in keep and distinct > MAX_CATEGORIES and distinct > len(text) / 2:
        plan.dropped[column] = (
            f"free text or an identifier: {distinct} distinct values in {len(text)} rows, too many to learn "
            f"from; --keep {_quote(column)} one-hot encodes its {MAX_CATEGORIES - 1} most frequent"
        )
    else:
        if distinct > MAX_CATEGORIES:
            plan.notes.append(
                f"column {column!r}: {distinct} distinct values; the {MAX_CATEGORIES - 1} most "
                "frequent are one-hot encoded, the others grouped as one"
            )
        plan.categorical.append(column)


def _looks_like_identifier(column, values):
    if values.isna().any() or values.dtype.kind == "b" or len(values) < 3:
        return False
    return whole_numbers(values) and values.is_unique and (_monotonic(values) or bool(_ID_NAME.search(column)))


def _row_numbers_as_text(column, text):
    """Whether text that reads as numbers (a few words aside) is an identifier.

    R's row names in a file with a few broken rows (a stray line break in a
    text field) are read as text: their numbers are still row numbers.
    """
    return _looks_like_identifier(column, pd.to_numeric(text, errors="coerce").dropna())


def whole_numbers(values: Any) -> bool:
    """Whether numeric ``values`` are all whole: an integer dtype, or floats without a fraction."""
    return values.dtype.kind in "iu" or bool(np.all(np.mod(values, 1) == 0))


def _monotonic(values):
    return bool(values.is_monotonic_increasing or values.is_monotonic_decreasing)


def _number_format(text, decimal_comma):
    """The (thousands separator, decimal mark) every value is written with, or None if not numbers."""
    formats = list(_NUMBER_FORMATS)
    if decimal_comma:
        formats[0], formats[1] = formats[1], formats[0]
    if pd.to_numeric(text, errors="coerce").notna().all():  # plain numbers, around missing markers
        return (None, ".")
    for number_format in formats:
        if text.str.match(_NUMBER_FORMATS[number_format]).all():
            # "3,750" with decimal mark ",": a thousands separator only if one value groups digits
            return number_format
    return None


def _separator_name(separator):
    return {",": "commas", ".": "dots", " ": "spaces", None: "no separator"}[separator]


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _some(names):
    names = [str(name) for name in names]
    return ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")


def _quote(column):
    return column if re.fullmatch(r"[\w.-]+", column) else repr(column)


# --------------------------------------------------------------- transformers
# Module-level functions, so that a saved model names them (skops trusts them by name).


def parse_numbers(X: pd.DataFrame, thousands: str | None = None, decimal: str = ".") -> pd.DataFrame:
    """Numbers written as text (``"3,750.5"``) as floats; anything else becomes missing."""
    out = {}
    for column in X.columns:
        text = X[column].astype("string").str.strip()
        if thousands is not None:
            text = text.str.replace(r"[  ']" if thousands == " " else re.escape(thousands), "", regex=True)
        if decimal != ".":
            text = text.str.replace(decimal, ".", regex=False)
        out[column] = pd.to_numeric(text, errors="coerce").astype(float)
    return pd.DataFrame(out, index=X.index)


def date_parts(X: pd.DataFrame, parts: tuple[str, ...] = ("year", "month", "day", "weekday")) -> pd.DataFrame:
    """Each date column as numeric parts, named ``<column>_<part>``; unreadable dates become missing."""
    out = {}
    for column in X.columns:
        dates = pd.to_datetime(X[column].astype("string").str.strip(), errors="coerce", format="mixed")
        for part in parts:
            attribute = "day_of_week" if part == "weekday" else part  # pandas 3 deprecates .dt.weekday
            out[f"{column}_{part}"] = getattr(dates.dt, attribute).astype(float)
    return pd.DataFrame(out, index=X.index)


def date_part_names(transformer: FunctionTransformer, input_features: Any) -> np.ndarray:
    """``get_feature_names_out`` of :func:`date_parts`."""
    parts = transformer.kw_args["parts"]
    return np.asarray([f"{column}_{part}" for column in input_features for part in parts], dtype=object)


def preprocessor(plan: ColumnPlan) -> ColumnTransformer:
    """The ``ColumnTransformer`` that carries out ``plan``; dense output, columns not in it are dropped."""

    def scaled(*steps):
        return make_pipeline(*steps, SimpleImputer(), StandardScaler())

    transformers = []
    if plan.numeric:
        transformers.append(("num", scaled(), plan.numeric))
    formats = sorted(set(plan.written_numbers.values()), key=str)
    for i, (thousands, decimal) in enumerate(formats):
        columns = [column for column, written in plan.written_numbers.items() if written == (thousands, decimal)]
        parser = FunctionTransformer(
            parse_numbers, kw_args={"thousands": thousands, "decimal": decimal}, feature_names_out="one-to-one"
        )
        transformers.append((f"written{i}", scaled(parser), columns))
    for parts in sorted({tuple(parts) for parts in plan.dates.values()}):
        columns = [column for column, its_parts in plan.dates.items() if tuple(its_parts) == parts]
        splitter = FunctionTransformer(date_parts, kw_args={"parts": parts}, feature_names_out=date_part_names)
        transformers.append((f"date{len(parts)}", scaled(splitter), columns))
    if plan.categorical:
        # Dense, with at most MAX_CATEGORIES features a column: the estimators take dense input.
        encoder = OneHotEncoder(
            handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES, sparse_output=False
        )
        transformers.append(("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), encoder), plan.categorical))
    return ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)
