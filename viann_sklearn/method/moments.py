"""Running moments: Welford's variance of a tensor over training, and Chan's merge of column blocks.

Everything here works on plain tensors (torch, or anything ``torch.as_tensor``
accepts, such as numpy arrays) and knows nothing of skorch, Keras or
scikit-learn, so every adapter shares one implementation and the tests compare
it with numpy on the same numbers. :class:`ColumnMoments` is the same idea for
the input columns of a stream of row blocks, in numpy.
"""

import numpy as np
import torch

__all__ = ["ColumnMoments", "RunningMoments"]


class RunningMoments:
    """Running mean and variance of equally shaped tensors (Welford's algorithm).

    Each call to :meth:`update` adds one sample, i.e. one snapshot of a
    weight tensor. The statistics are accumulated elementwise in float64 on
    the device of the first sample (or ``device``), so updates during training
    never copy weights to the host.

    Welford's update is used rather than accumulating sums of squares because
    weights drift far less than their magnitude: ``E[x^2] - E[x]^2`` would
    cancel almost every significant digit, while Welford's deltas keep them.

    Parameters
    ----------
    device : torch.device or str, default=None
        Where to accumulate. ``None`` uses the device of the first sample.
        Useful for backends without float64 support (Apple MPS), where the
        accumulation has to live on the CPU.

    Attributes
    ----------
    count : int
        Number of samples seen.
    mean : torch.Tensor or None
        Elementwise running mean (float64), ``None`` before the first sample.
    m2 : torch.Tensor or None
        Elementwise sum of squared deviations from the mean (float64).

    Examples
    --------
    >>> import torch
    >>> from viann_sklearn.method.moments import RunningMoments
    >>> moments = RunningMoments()
    >>> for value in (1.0, 2.0, 4.0):
    ...     _ = moments.update(torch.tensor([value, 10 * value]))
    >>> moments.variance()
    tensor([  2.3333, 233.3333], dtype=torch.float64)
    """

    def __init__(self, device=None):
        self.device = device
        self.count = 0
        self.mean = None
        self.m2 = None

    def update(self, sample):
        """Add one sample.

        Parameters
        ----------
        sample : torch.Tensor or array-like
            A tensor of the same shape as every earlier sample. It is copied,
            so later in-place changes to it (an optimizer step) do not leak in.

        Returns
        -------
        self : RunningMoments
        """
        # A float64 copy on the accumulation device: later in-place changes to
        # the caller's tensor must not alter what was recorded.
        value = torch.as_tensor(sample).detach()
        value = value.to(device=self.device or value.device, dtype=torch.float64, copy=True)
        if self.count == 0:
            self.mean = value
            self.m2 = torch.zeros_like(value)
            self.count = 1
            return self
        if value.shape != self.mean.shape:
            raise ValueError(
                f"RunningMoments expects samples of shape {tuple(self.mean.shape)}, got {tuple(value.shape)}."
            )
        self.count += 1
        # value is our own copy: it becomes delta = value - old mean in place,
        # and value - new mean is delta * (n - 1) / n, so that one float64
        # temporary of the weight's size is all an update allocates.
        delta = value.sub_(self.mean)
        self.mean.add_(delta, alpha=1.0 / self.count)
        self.m2.addcmul_(delta, delta, value=(self.count - 1) / self.count)
        return self

    def variance(self, ddof=1):
        """Elementwise variance of the samples seen so far.

        Parameters
        ----------
        ddof : int, default=1
            Delta degrees of freedom, as in :func:`numpy.var`. The default
            gives the unbiased sample variance, ``numpy.var(ddof=1)``.

        Returns
        -------
        variance : torch.Tensor
            Float64 tensor with the shape of one sample.

        Raises
        ------
        ValueError
            If ``count <= ddof``: the variance is undefined, and returning NaN
            would poison every importance computed from it.
        """
        if self.count <= ddof:
            raise ValueError(f"The variance with ddof={ddof} needs more than {ddof} sample(s); got {self.count}.")
        return self.m2 / (self.count - ddof)

    def copy(self, into=None):
        """An independent copy of the statistics, on the same device.

        Parameters
        ----------
        into : RunningMoments, default=None
            Moments to overwrite with the copy, reusing their memory where
            their shape, dtype and device allow: early stopping keeps a copy
            per improving epoch, and for a wide input layer a fresh one each
            time doubled the statistics' footprint while it was made.

        Returns
        -------
        duplicate : RunningMoments
            ``into`` when given, else a new instance.
        """
        duplicate = RunningMoments(self.device) if into is None else into
        duplicate.device, duplicate.count = self.device, self.count
        if self.mean is None:
            duplicate.mean = duplicate.m2 = None
        elif _same_layout(duplicate.mean, self.mean):
            duplicate.mean.copy_(self.mean)
            duplicate.m2.copy_(self.m2)
        else:
            duplicate.mean, duplicate.m2 = self.mean.clone(), self.m2.clone()
        return duplicate

    def to(self, device):
        """Move the accumulated statistics to ``device`` and return self."""
        self.device = device
        if self.mean is not None:
            self.mean = self.mean.to(device)
            self.m2 = self.m2.to(device)
        return self


class ColumnMoments:
    """Weighted mean and variance of every column, over row blocks seen one at a time.

    Each block's own mean and sum of squared deviations are computed in
    two passes over the block, then merged into the running ones with the
    pairwise update of Chan, Golub and LeVeque (1979), so that the result is
    that of all rows at once, to rounding, however the rows were split.
    Accumulated in float64, without a float64 copy of a whole float32 block.

    Attributes
    ----------
    weight : float
        Total weight seen: the number of rows when no weights are given.
    mean : ndarray of shape (n_columns,) or None
        Weighted mean of each column, ``None`` before the first row.
    m2 : ndarray of shape (n_columns,) or None
        Weighted sum of squared deviations from the mean.

    Examples
    --------
    >>> import numpy as np
    >>> from viann_sklearn.method.moments import ColumnMoments
    >>> rows = np.array([[1.0, 10.0], [2.0, 20.0], [4.0, 40.0]])
    >>> moments = ColumnMoments().update(rows[:1]).update(rows[1:])
    >>> moments.mean
    array([ 2.33333333, 23.33333333])
    >>> np.allclose(moments.variance(), rows.var(axis=0))
    True
    """

    def __init__(self):
        self.weight = 0.0
        self.mean = None
        self.m2 = None

    def update(self, rows, sample_weight=None):
        """Add a block of rows.

        Parameters
        ----------
        rows : ndarray of shape (n_rows, n_columns)
        sample_weight : ndarray of shape (n_rows,), default=None
            Non-negative weight of each row; None weighs all rows 1.

        Returns
        -------
        self : ColumnMoments
        """
        rows = np.asarray(rows)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        weight = float(rows.shape[0] if weights is None else weights.sum())
        if weight == 0:
            return self
        # Two passes over the block, in slices of _SLICE_ROWS rows: the float64
        # deviations of one slice, never of the whole block, are in memory at once.
        mean = np.zeros(rows.shape[1])
        for part, part_weights in self._slices(rows, weights):
            mean += part.sum(axis=0, dtype=np.float64) if part_weights is None else part_weights @ part
        mean /= weight
        m2 = np.zeros(rows.shape[1])
        for part, part_weights in self._slices(rows, weights):
            deviations = part - mean
            np.square(deviations, out=deviations)
            m2 += deviations.sum(axis=0) if part_weights is None else part_weights @ deviations
        return self.merge(weight, mean, m2)

    _SLICE_ROWS = 8192

    @classmethod
    def _slices(cls, rows, weights):
        for start in range(0, rows.shape[0], cls._SLICE_ROWS):
            end = start + cls._SLICE_ROWS
            part = rows[start:end]
            if weights is None:
                yield part, None
            else:  # float64 weights times float32 rows would upcast the slice anyway
                yield part.astype(np.float64, copy=False), weights[start:end]

    def merge(self, weight, mean, m2):
        """Merge the moments of other rows: their total ``weight``, ``mean`` and ``m2``.

        A ``weight`` of 0 (no rows, or rows of weight 0) changes nothing.

        Returns
        -------
        self : ColumnMoments
        """
        if weight == 0:
            return self
        mean, m2 = np.asarray(mean, dtype=np.float64), np.asarray(m2, dtype=np.float64)
        if self.mean is None:
            self.weight, self.mean, self.m2 = float(weight), mean.copy(), m2.copy()
            return self
        if mean.shape != self.mean.shape:
            raise ValueError(f"ColumnMoments has {self.mean.shape[0]} columns; got moments of {mean.shape[0]}.")
        total = self.weight + weight
        delta = mean - self.mean
        # Chan et al.: the means' gap weighted by both sides, never E[x^2] - E[x]^2.
        self.m2 = self.m2 + m2 + np.square(delta) * (self.weight * weight / total)
        self.mean = self.mean + delta * (weight / total)
        self.weight = total
        return self

    def variance(self):
        """Weighted population variance of each column (``numpy.var``'s ddof=0), float64.

        Raises
        ------
        ValueError
            Before any row of positive weight.
        """
        if self.mean is None:
            raise ValueError("ColumnMoments has seen no rows of positive weight: no variance.")
        return self.m2 / self.weight


def _same_layout(buffer, tensor):
    """Whether ``buffer`` can take ``tensor``'s values in place."""
    return (
        buffer is not None
        and buffer.shape == tensor.shape
        and buffer.dtype == tensor.dtype
        and buffer.device == tensor.device
    )
