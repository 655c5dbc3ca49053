"""Moving code changes no number: a fixed set of fits equals, bit for bit, what it gave before the move.

``tests/fixtures/fixed_fits.npz`` was recorded by ``python tests/_fixed_fits.py`` on the
single-folder package, before it was split into layers (see ``_fixed_fits.py`` for the fits:
classifier, regressor, sparse, streamed, L-BFGS, the selector, the torch tracker, the Keras
callback). A change that means to change these numbers re-records the file in a commit that
says why and by how much.
"""

import numpy as np
import pytest
import torch

from _fixed_fits import FIXTURE, fixed_fits


@pytest.fixture(scope="module")
def recorded_and_now():
    return np.load(FIXTURE), fixed_fits()


def test_the_same_fits_give_the_same_numbers(recorded_and_now):
    recorded, now = recorded_and_now
    names = set(recorded.files) - {"cpu_capability"}
    # Keras is an optional extra: without it, its numbers cannot be compared.
    assert set(now) == names or set(now) == {name for name in names if not name.startswith("keras.")}
    same_kernels = str(recorded["cpu_capability"]) == torch.backends.cpu.get_cpu_capability()
    for name in sorted(now):
        if same_kernels:
            np.testing.assert_array_equal(now[name], recorded[name], err_msg=name)
        else:
            # Other vector kernels (AVX2 against AVX512) round sums differently: not bit for bit,
            # but a moved line of code would show far above this.
            np.testing.assert_allclose(now[name], recorded[name], rtol=1e-5, atol=1e-7, err_msg=name)
