"""Training on data that does not fit in memory: ``fit_stream`` and its readers (see ``estimators/streaming.py``)."""

from .estimators.streaming import dask_chunks, fit_stream, parquet_chunks

__all__ = ["dask_chunks", "fit_stream", "parquet_chunks"]
