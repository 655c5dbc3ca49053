"""Real tables for the fidelity benchmarks, all shipped inside installed packages (no downloads).

Every loader returns a :class:`Table`: a float matrix (categorical columns
one-hot encoded, one column per category), the real target, and what makes
the table hard. Sources:

- scikit-learn's bundled datasets (wine, breast cancer, diabetes, digits);
- statsmodels' bundled datasets (anes96, fair, star98, randhie);
- the ``palmerpenguins`` package (penguins).

statsmodels and palmerpenguins come with the ``bench`` extra.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn import datasets

__all__ = ["Table", "load_tables", "TABLE_NAMES"]


@dataclass
class Table:
    name: str
    task: str  # "classification" or "regression"
    X: np.ndarray
    y: np.ndarray
    feature_names: list
    traits: str  # what makes it hard, for the report
    groups: dict = field(default_factory=dict)  # one-hot block name -> its column names


def _from_frame(name, task, frame, target, traits, categorical=()):
    frame = frame.dropna()
    y = frame[target].to_numpy()
    features = frame.drop(columns=[target])
    groups = {}
    if categorical:
        encoded = pd.get_dummies(features, columns=list(categorical), prefix_sep="=", dtype=float)
        for column in categorical:
            groups[column] = [name for name in encoded.columns if name.startswith(f"{column}=")]
        features = encoded
    return Table(name, task, features.to_numpy(dtype=np.float64), y, list(features.columns), traits, groups)


def _sklearn(loader, name, task, traits):
    bunch = loader(as_frame=True)
    frame = bunch.frame.copy()
    return _from_frame(name, task, frame, bunch.target.name, traits)


def wine():
    return _sklearn(
        datasets.load_wine, "wine", "classification", "178 rows; 3 classes; related chemistry (phenols, flavanoids)"
    )


def breast_cancer():
    return _sklearn(
        datasets.load_breast_cancer,
        "breast_cancer",
        "classification",
        "groups of near-collinear measurements (radius, perimeter, area)",
    )


def diabetes():
    return _sklearn(
        datasets.load_diabetes, "diabetes", "regression", "weak signal (R² ≈ 0.5); collinear serum measures s1/s2"
    )


def digits():
    bunch = datasets.load_digits()
    X = bunch.data.astype(np.float64)
    names = [f"pixel_{row}_{column}" for row in range(8) for column in range(8)]
    return Table("digits", "classification", X, bunch.target, names, "64 pixels, many (near-)constant; 10 classes")


def penguins():
    from palmerpenguins import load_penguins

    frame = load_penguins()
    return _from_frame(
        "penguins",
        "regression",
        frame,
        "body_mass_g",
        "one-hot blocks (species, island, sex)",
        categorical=("species", "island", "sex"),
    )


def _statsmodels(name):
    import statsmodels.api as sm

    return getattr(sm.datasets, name).load_pandas().data.copy()


def anes96():
    frame = _statsmodels("anes96")  # vote: 1 = Dole, 0 = Clinton (1996 US election survey)
    return _from_frame(
        "anes96",
        "classification",
        frame,
        "vote",
        "ordinal survey answers (7-point scales, education, income bands); popul and logpopul",
    )


def fair():
    frame = _statsmodels("fair")
    frame["had_affair"] = (frame.pop("affairs") > 0).astype(int)
    return _from_frame(
        "fair",
        "classification",
        frame,
        "had_affair",
        "ordinal ratings; occupation one-hot blocks; 32 % positive",
        categorical=("occupation", "occupation_husb"),
    )


def star98():
    frame = _statsmodels("star98")  # California schools: share of students above the national median
    frame["share_above"] = frame["NABOVE"] / (frame.pop("NABOVE") + frame.pop("NBELOW"))
    return _from_frame(
        "star98", "regression", frame, "share_above", "303 rows, 20 columns including products of other columns"
    )


def randhie():
    frame = _statsmodels("randhie")  # RAND health insurance experiment: doctor visits per year
    return _from_frame(
        "randhie", "regression", frame, "mdvis", "20,190 rows; skewed count target; weak signal (R² ≈ 0.05)"
    )


def breast_cancer_small():
    table = breast_cancer()
    keep = np.sort(np.random.default_rng(0).choice(len(table.y), size=100, replace=False))
    table.name, table.X, table.y = "breast_cancer_100", table.X[keep], table.y[keep]
    table.traits = "100 rows × 30 columns: small and wide"
    return table


def breast_cancer_imbalanced():
    table = breast_cancer()
    # Label 0 is malignant: keep every benign case and a tenth as many malignant ones.
    malignant = np.flatnonzero(table.y == 0)
    keep = np.sort(
        np.r_[np.flatnonzero(table.y == 1), np.random.default_rng(0).choice(malignant, size=36, replace=False)]
    )
    table.name, table.X, table.y = "breast_cancer_imbalanced", table.X[keep], table.y[keep]
    table.traits = "imbalanced: 36 malignant among 393 rows (9 %)"
    return table


_LOADERS = {
    "wine": wine,
    "breast_cancer": breast_cancer,
    "breast_cancer_100": breast_cancer_small,
    "breast_cancer_imbalanced": breast_cancer_imbalanced,
    "diabetes": diabetes,
    "digits": digits,
    "penguins": penguins,
    "anes96": anes96,
    "fair": fair,
    "star98": star98,
    "randhie": randhie,
}
TABLE_NAMES = list(_LOADERS)


def load_tables(names=None):
    """The tables named (all by default), in the order of ``TABLE_NAMES``."""
    names = TABLE_NAMES if names is None else names
    unknown = sorted(set(names) - set(_LOADERS))
    if unknown:
        raise ValueError(f"Unknown tables {unknown}; choose from {TABLE_NAMES}.")
    return [_LOADERS[name]() for name in TABLE_NAMES if name in names]
