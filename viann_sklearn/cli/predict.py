"""``viann predict``: one prediction per row of a table, with a model saved by ``viann rank --save``."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from .parsing import UsageError, _check_output_path, _need_pandas, _skops
from .rank import _read


def _predict(args: argparse.Namespace) -> int:
    _need_pandas(args)
    _skops()
    from .persist import ModelFileError, load_model

    if args.output:
        _check_output_path(args.output, "--output")
    try:
        saved = load_model(args.model)
    except ModelFileError as error:
        raise UsageError(str(error)) from None
    frame = _read(args)
    model, target = saved["model"], saved["target"]
    expected = [str(column) for column in model.feature_names_in_]
    missing = [column for column in expected if column not in frame.columns and column not in saved["unused"]]
    if missing:
        raise UsageError(f"{Path(args.data).name} lacks the column(s) the model uses: {', '.join(missing)}")
    X = frame.reindex(columns=expected)  # columns the model left out may be missing: they are not read
    if args.proba and saved["task"] != "classification":
        raise UsageError("--proba: the model is a regression; it has no class probabilities")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            predictions = {target: model.predict(X)}
            if args.proba:
                for label, column in zip(model.classes_, model.predict_proba(X).T):
                    predictions[f"P({label})"] = column
    except ValueError as error:
        raise UsageError(f"cannot predict: {str(error).splitlines()[0]}") from None
    import pandas as pd

    table = pd.DataFrame(predictions, index=frame.index)
    if args.output:
        table.to_csv(args.output, index=False)
    else:
        print(table.to_csv(index=False), end="")
    return 0
