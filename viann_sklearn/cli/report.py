"""Turning the results of ``viann rank`` into output: the ranked rows, as a table, JSON or CSV,
the score line, the chart, the HTML page (``--report``); notes, warnings and the progress bar on stderr.

stdout holds only the result, so that it stays machine-readable; everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .parsing import UsageError


def _ranked_rows(names: Any, mean: np.ndarray, std: np.ndarray | None, top: int | None) -> list[dict[str, Any]]:
    order = np.argsort(-mean, kind="stable")[:top]
    total = mean.sum()
    return [
        {
            "rank": rank,
            "column": str(names[i]),
            "importance": float(mean[i]),
            "share": float(mean[i] / total) if total > 0 else 0.0,
            **({"std": float(std[i])} if std is not None else {}),
        }
        for rank, i in enumerate(order, start=1)
    ]


def _score_line(trust: dict[str, Any]) -> str:
    return (
        f"Cross-validated {trust['metric']}: {trust['score']:.3f} ± {trust['score_std']:.3f} over "
        f"{trust['folds']} folds; baseline ({trust['baseline_name']}): {trust['baseline']:.3f}"
    )


def _format(
    rows: list[dict[str, Any]], trust: dict[str, Any], args: argparse.Namespace, left_out: dict[str, str] | None = None
) -> str:
    """The ranking as a table, JSON or CSV; every left-out column is listed with its reason, whatever the verbosity."""
    left_out = left_out or {}
    if args.json:
        result = {
            "columns": rows,
            "score": {key: value for key, value in trust.items()},
            "left_out": [{"column": column, "reason": reason} for column, reason in left_out.items()],
        }
        return json.dumps(result, indent=2)
    keys = list(rows[0])
    if args.csv:
        # CSV holds one table: the score and what was left out go to stderr with the messages
        print(_score_line(trust), file=sys.stderr)
        if left_out:
            print(_left_out_line(left_out), file=sys.stderr)
        return "\n".join([",".join(keys), *(",".join(_csv_cell(row[key]) for key in keys) for row in rows)])
    width = max(len("column"), *(len(row["column"]) for row in rows))
    header = (
        f"{'rank':>4}  {'column':<{width}}  {'importance':>10}  {'share':>6}"
        + ("  ± std " if "std" in keys else "")
        + ("  noise p  beats noise" if "noise_p" in keys else "")
    )
    lines = [header]
    for row in rows:
        line = f"{row['rank']:>4}  {row['column']:<{width}}  {row['importance']:>10.4f}  {row['share']:>6.1%}"
        if "std" in row:
            line += f"  ± {row['std']:.4f}"
        if "noise_p" in row:
            line += f"  {_pvalue_text(row['noise_p']):>7}  {'yes' if row['beats_noise'] else 'no':>11}"
        lines.append(line)
    footer = [_score_line(trust)]
    if "noise_p" in keys:
        footer.append(_noise_line(args))
    if left_out:
        footer.append(_left_out_line(left_out))
    return "\n".join([*lines, "", *footer])


def _pvalue_text(pvalue: float) -> str:
    """Three decimals, and "<0.001" below them: the hits test reaches 0.5 ** 12 = 0.0002, not 0."""
    return "<0.001" if pvalue < 0.0005 else f"{pvalue:.3f}"


def _noise_fits(args: argparse.Namespace, n_columns: int = 0) -> int:
    """How many networks the noise baseline trains (or trained, once ``args.noise_fits`` is set).

    Before the fit, VIANNSelector's ``n_fits="auto"`` for ``n_columns``: what
    it plans (one-hot columns widen the data it sees, and the hits test may
    stop sooner); afterwards, what ``_noise_pvalues`` recorded.
    """
    from ..selection.selector import auto_n_fits

    if not args.noise_alpha:
        return 0
    if getattr(args, "noise_fits", None):
        return int(args.noise_fits)
    return auto_n_fits(args.noise_control, args.noise_alpha, n_columns, args.noise_test)


def _noise_line(args: argparse.Namespace) -> str:
    """What "beats noise" promises, in the words of the error rate it controls."""
    if args.noise_control == "fdr":
        rule = (
            f"at a false-discovery rate of {args.noise_alpha:g}: of the columns marked yes, at most "
            f"{args.noise_alpha:.0%} are expected to be noise (Benjamini-Hochberg on the noise p)"
        )
    else:
        rule = f"noise p <= {args.noise_alpha:g}: each column unrelated to the target passes with that chance"
    fits = _noise_fits(args)
    if args.noise_test == "hits":
        on_rows = f"{fits} fits on all rows, noise p from how often a column beat every shadow (Boruta's test)"
        if not getattr(args, "noise_keep_rejected", False):
            on_rows += ", a column that could no longer beat noise left out of the later fits"
    else:
        on_rows = "one fit on all rows" if fits == 1 else f"{fits} fits on all rows, their shadows pooled"
    joint = getattr(args, "noise_joint_shadows", False)
    copies = "copies of the columns with their rows shuffled together" if joint else "shuffled copies of the columns"
    return f"beats noise: more important than {copies}, {rule}; {on_rows}"


def _left_out_line(left_out: dict[str, str]) -> str:
    return "left out: " + "; ".join(f"{column} ({reason})" for column, reason in left_out.items())


def _csv_cell(value: Any) -> str:
    text = f"{value:.6g}" if isinstance(value, float) else str(value)
    return f'"{text}"' if any(char in text for char in ',"\n') else text


def _save_plot(names: Any, mean: np.ndarray, std: np.ndarray | None, args: argparse.Namespace) -> None:
    from ..inspection.plot import ImportanceDisplay

    display = ImportanceDisplay(mean, names, importances_std=std, top=args.top).plot()
    try:
        display.figure_.savefig(args.plot, dpi=120)
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot save the plot to {args.plot}: {error}") from None
    _say(f"Chart saved to {args.plot}", args)


#: Columns the report's chart and table show when --top does not say; the rest are summed up.
REPORT_TOP = 20
#: Options that only choose where and how output goes: the report's settings leave them out.
# Left out of the page's settings: where output goes, and what the run recorded (noise_fits...) rather than an option.
_OUTPUT_OPTIONS = {
    "command",
    "command_line",
    "data",
    "json",
    "csv",
    "plot",
    "report",
    "save",
    "quiet",
    "top",
    "noise_fits",
    "noise_fits_beating_baseline",
}


def _save_report(
    args: argparse.Namespace,
    result: Any,
    scores: np.ndarray,
    baseline: np.ndarray,
    trust: dict[str, Any],
    noise: dict[str, float] | None,
    noise_cutoff: float | None,
    plan: Any,
    task: str,
    shape: tuple[int, int],
) -> None:
    """Write the ranking as one HTML page (``--report``): every column, not only the ``--top`` ones."""
    from ..inspection.report_page import ImportanceReport

    names = [str(name) for name in result.feature_names]
    noise_options: dict[str, Any] = {}
    if noise is not None:
        pvalues = np.array([noise[name] for name in names])
        noise_options = dict(
            pvalues=pvalues,
            beats_noise=pvalues <= noise_cutoff,
            noise_alpha=args.noise_alpha,
            noise_control=args.noise_control,
            noise_test=args.noise_test,
        )
    report = ImportanceReport(
        result.importances_mean,
        names,
        importances_std=result.importances_std,
        **noise_options,
        scores=scores,
        baseline_scores=baseline,
        metric=trust["metric"],
        baseline_name=trust["baseline_name"],
        history=result.histories,
        left_out=plan.dropped,
        transformed=_treatments(plan),
        notes=_column_notes(plan, noise is not None),
        caveats=trust["warnings"],
        dataset={
            "file": args.data,
            "read": f"{shape[0]} rows x {shape[1]} columns",
            "target": args.target,
            "task": f"{task} ({trust['metric']})",
            "ranking from": f"{args.repeats} fits on all rows, different seeds"
            if args.repeats
            else f"{trust['folds']} cross-validation folds",
        },
        settings={
            f"--{key.replace('_', '-')}": "(default)" if value is None else value
            for key, value in vars(args).items()
            if key not in _OUTPUT_OPTIONS
        },
        command=shlex.join(args.command_line),
        title=f"VIANN ranking: {Path(args.data).name} → {args.target}",
        top=args.top or REPORT_TOP,
    )
    try:
        report.save(args.report)
    except OSError as error:
        raise UsageError(f"cannot write the report to {args.report}: {error}") from None
    _say(f"Report saved to {args.report}", args)


def _treatments(plan: Any) -> dict[str, str]:
    """What each column that is not plain numbers became, as the report lists it."""
    from .table import MAX_CATEGORIES

    found = {}
    for column, (thousands, decimal) in plan.written_numbers.items():
        marks = f"decimal mark {decimal!r}" + (f", {thousands!r} between thousands" if thousands else "")
        found[column] = f"numbers written as text ({marks}): parsed, then as numbers"
    for column, parts in plan.dates.items():
        found[column] = f"dates: {', '.join(parts)} as numbers; the column's importance is their sum"
    for column in plan.categorical:
        found[column] = (
            f"categories: one-hot encoded (at most {MAX_CATEGORIES} features, the rarest values as one); "
            "the column's importance is their sum"
        )
    return found


def _column_notes(plan: Any, with_noise: bool) -> list[str]:
    notes = [*plan.notes, *plan.warnings]
    if plan.numeric:
        notes.insert(
            0, f"{len(plan.numeric)} numeric column(s): missing values imputed with the mean, then standardised"
        )
    if with_noise and (plan.categorical or plan.dates):
        notes.append(
            "a column made of several features gets one noise p, their Simes combination: its many features "
            "do not give it more chances to beat noise than a numeric column has"
        )
    return notes


def _say(message: str, args: argparse.Namespace) -> None:
    if not args.quiet:
        print(message, file=sys.stderr, flush=True)


def _warn(message: str) -> None:
    print(f"viann: warning: {message}", file=sys.stderr, flush=True)


class _Progress:
    """A progress bar over epochs on a terminal, once work takes a few seconds; silent with --quiet.

    Everything goes to stderr, so that stdout stays machine-readable. Fits
    run in other processes (``--n-jobs``) do not report their epochs.
    """

    def __init__(self, quiet: bool, total_epochs: int) -> None:
        self.quiet = quiet
        self.bar = None
        if not quiet and sys.stderr.isatty():
            from tqdm.auto import tqdm  # a dependency of skorch

            # delay: a bar only for work that lasts; quick runs print their table and nothing else
            self.bar = tqdm(total=total_epochs, unit="epoch", file=sys.stderr, leave=False, delay=2)

    def say(self, message: str) -> None:
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr, flush=True)

    def epoch_done(self, epochs_done: int, epochs_planned: int, converged: bool) -> None:
        if self.bar is not None:
            # a fit that converges early skips the rest of its planned epochs
            self.bar.update(1 + (epochs_planned - epochs_done if converged else 0))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
