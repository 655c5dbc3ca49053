"""Framework adapters: the method in a skorch net, a plain PyTorch loop and Keras.

- ``skorch_callbacks.py``: ``VarianceImportance`` and ``MetricThreshold`` for skorch;
- ``torch_loop.py``: ``VarianceImportanceTorch``, called from a hand-written loop;
- ``keras_callbacks.py``: the Keras 3 callbacks (public as ``viann_sklearn.keras``);
- ``lookup.py``: finds the fitted adapter, and its tracked weight, in what a user holds.

Each adapter is thin: it turns its framework's events into calls on
``method.tracker``. Imports the method layer only.
"""
