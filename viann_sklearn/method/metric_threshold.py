"""The rule behind MetricThreshold, shared by its skorch and Keras versions."""

from numbers import Integral, Real

__all__ = ["check_threshold_options", "should_stop"]


def check_threshold_options(monitor, threshold, min_epochs, lower_is_better, owner):
    """Validate MetricThreshold's options; errors name the option."""
    if not isinstance(monitor, str) or not monitor:
        raise ValueError(f"{owner}: monitor must be a non-empty str; got {monitor!r}.")
    if isinstance(threshold, bool) or not isinstance(threshold, Real):
        raise ValueError(f"{owner}: threshold must be a number; got {threshold!r}.")
    if isinstance(min_epochs, bool) or not isinstance(min_epochs, Integral) or min_epochs < 1:
        raise ValueError(f"{owner}: min_epochs must be an int >= 1; got {min_epochs!r}.")
    if not isinstance(lower_is_better, bool):
        raise ValueError(f"{owner}: lower_is_better must be True or False; got {lower_is_better!r}.")


def should_stop(value, epochs_done, threshold, min_epochs, lower_is_better):
    """True once ``min_epochs`` have run and ``value`` has reached ``threshold``.

    Reaching includes equality: validation accuracy 0.95 meets a 0.95 goal.
    """
    if epochs_done < min_epochs:
        return False
    return value <= threshold if lower_is_better else value >= threshold
