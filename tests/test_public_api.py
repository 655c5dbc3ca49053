"""Every public name of 0.1.0 (before the package was split into layers) imports from where it did."""

import importlib

import pytest

# The names of viann_sklearn.__all__ and of the public modules in 0.1.0 (and those added since).
PUBLIC_NAMES = {
    "viann_sklearn": [
        "MetricThreshold",
        "UninformativeTargetWarning",  # added after 0.1.0
        "VIANNClassifier",
        "VIANNRegressor",
        "VIANNSelector",
        "VarianceImportance",
        "VarianceImportanceTorch",
        "__version__",
        "dask_chunks",
        "fit_stream",
        "grouped_importances",
        "importance_uncertainty",
        "parquet_chunks",
    ],
    "viann_sklearn.keras": ["VarianceImportanceKeras", "MetricThreshold"],
    "viann_sklearn.text": [
        "token_importances",
        "top_k_tokens",
        "make_keyword_sentences",
        "SPECIAL_TOKENS",
        "POSITIVE_KEYWORDS",
        "NEGATIVE_KEYWORDS",
        "FILLER_WORDS",
    ],
    "viann_sklearn.vision": ["kernel_importances"],
    "viann_sklearn.plot": [
        "ImportanceDisplay",
        "plot_importance_history",
        "ImportanceReport",  # added after 0.1.0
    ],
    "viann_sklearn.streaming": ["dask_chunks", "fit_stream", "parquet_chunks"],
    "viann_sklearn.inspection": ["grouped_importances", "importance_uncertainty"],
    "viann_sklearn.cli": ["main", "build_parser", "UsageError", "USAGE_ERROR"],
}


@pytest.mark.parametrize("module_name", sorted(PUBLIC_NAMES))
def test_public_names_import_from_their_module(module_name):
    if module_name == "viann_sklearn.keras":
        pytest.importorskip("keras", reason="the optional Keras extra is not installed")
    module = importlib.import_module(module_name)
    missing = [name for name in PUBLIC_NAMES[module_name] if not hasattr(module, name)]
    assert not missing, f"{module_name} lacks {missing}"


def test_the_same_object_whichever_public_path():
    import viann_sklearn
    import viann_sklearn.streaming

    assert viann_sklearn.fit_stream is viann_sklearn.streaming.fit_stream
