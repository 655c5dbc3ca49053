"""The noise baseline's arithmetic, checked against a direct count on the same numbers."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.special import comb
from scipy.stats import false_discovery_control

from viann_sklearn.selection.noise import (
    benjamini_hochberg_cutoff,
    best_shadow_hits,
    hits_decision_is_final,
    hits_pvalues,
    noise_threshold,
    pooled_shadow_pvalues,
    shadow_columns,
    shadow_pvalues,
    simes_within_groups,
)

scores_strategy = st.lists(st.integers(0, 6).map(float), min_size=1, max_size=30)  # ties on purpose


@settings(max_examples=200, deadline=None)
@given(scores=scores_strategy, shadows=scores_strategy)
def test_pvalues_count_the_shadows_at_least_as_high(scores, shadows):
    expected = [(1 + sum(shadow >= score for shadow in shadows)) / (1 + len(shadows)) for score in scores]
    np.testing.assert_allclose(shadow_pvalues(np.array(scores), np.array(shadows)), expected)


@settings(max_examples=200, deadline=None)
@given(scores=scores_strategy, shadows=scores_strategy, alpha=st.sampled_from([0.01, 0.05, 0.1, 0.2, 0.5]))
def test_beating_the_threshold_is_having_a_small_pvalue(scores, shadows, alpha):
    scores, shadows = np.array(scores), np.array(shadows)
    assert np.array_equal(scores > noise_threshold(shadows, alpha), shadow_pvalues(scores, shadows) <= alpha)


def test_threshold_is_infinite_when_no_pvalue_can_reach_alpha():
    assert noise_threshold(np.arange(10.0), alpha=0.05) == np.inf  # smallest p-value 1/11
    assert noise_threshold(np.arange(19.0), alpha=0.05) == 18.0  # 1/20 = 0.05 reaches it


def test_pvalues_are_uniform_for_scores_drawn_like_the_shadows():
    # Exchangeable scores: P(p <= alpha) must not exceed alpha.
    rng = np.random.default_rng(0)
    pvalues = np.concatenate([shadow_pvalues(rng.normal(size=5), rng.normal(size=49)) for _ in range(4000)])
    for alpha in (0.02, 0.05, 0.1, 0.5):
        assert np.mean(pvalues <= alpha) == pytest.approx(alpha, abs=0.01)


def test_shadows_keep_each_column_distribution_and_lose_its_order():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    shadows = shadow_columns(X, np.array([2, 0, 2]), np.random.default_rng(1))
    for position, column in enumerate([2, 0, 2]):
        np.testing.assert_array_equal(np.sort(shadows[:, position]), np.sort(X[:, column]))
        assert abs(np.corrcoef(shadows[:, position], X[:, column])[0, 1]) < 0.15
    # Two shadows of one column are shuffled independently.
    assert not np.array_equal(shadows[:, 0], shadows[:, 2])


def test_joint_shadows_move_rows_whole_and_start_a_new_shuffle_for_a_copied_column():
    rng = np.random.default_rng(0)
    base = rng.normal(size=500)
    X = np.column_stack([base, base + 0.1 * rng.normal(size=500), rng.normal(size=500)])
    sources = np.array([0, 1, 2, 0, 1])
    shadows = shadow_columns(X, sources, np.random.default_rng(1), joint=True)
    # The first three shadows are one shuffle of X's rows: the correlation of columns 0 and 1 stays.
    rows = {tuple(row) for row in X}
    assert all(tuple(row) in rows for row in shadows[:, :3])
    assert np.corrcoef(shadows[:, 0], shadows[:, 1])[0, 1] > 0.9
    # Column 0 copied again starts a new shuffle: its two shadows differ, and the second pair keeps
    # its own rows whole too.
    assert not np.array_equal(shadows[:, 0], shadows[:, 3])
    assert np.corrcoef(shadows[:, 3], shadows[:, 4])[0, 1] > 0.9
    # Shuffled one by one, the same columns' shadows lose that correlation.
    apart = shadow_columns(X, sources, np.random.default_rng(1))
    assert abs(np.corrcoef(apart[:, 0], apart[:, 1])[0, 1]) < 0.15


def test_independent_shadows_draw_one_permutation_per_shadow_in_order():
    # The draws of every seeded selector before joint shadows existed.
    X = np.random.default_rng(0).normal(size=(30, 4))
    sources = np.array([3, 1, 1, 0])
    rng = np.random.default_rng(7)
    expected = np.column_stack([X[rng.permutation(30), column] for column in sources])
    np.testing.assert_array_equal(shadow_columns(X, sources, np.random.default_rng(7)), expected)


@pytest.mark.parametrize("joint", [False, True])
@pytest.mark.parametrize("layout", ["csr", "csc"])
def test_sparse_shadows_are_the_dense_shadows_from_the_same_draws(layout, joint):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)) * (rng.random(size=(60, 5)) < 0.3)  # ~70 % zeros
    X[:, 3] = 0.0  # a column with no stored value
    sources = np.array([4, 0, 3, 0, 2, 1, 4])
    dense = shadow_columns(X, sources, np.random.default_rng(5), joint=joint)
    shadows = shadow_columns(sparse.csr_matrix(X).asformat(layout), sources, np.random.default_rng(5), joint=joint)
    assert sparse.issparse(shadows)
    np.testing.assert_array_equal(shadows.toarray(), dense)
    # Only the copied columns' stored values, no explicit zeros.
    assert shadows.nnz == sum(np.count_nonzero(X[:, column]) for column in sources)


@settings(max_examples=200, deadline=None)
@given(
    pvalues=st.lists(st.floats(1e-4, 1.0), min_size=1, max_size=40),
    q=st.sampled_from([0.01, 0.05, 0.1, 0.3]),
)
def test_benjamini_hochberg_cutoff_keeps_what_the_adjusted_pvalues_keep(pvalues, q):
    from scipy.stats import false_discovery_control

    pvalues = np.array(pvalues)
    cutoff = benjamini_hochberg_cutoff(pvalues, q)
    # The step-up rule by hand: the largest k with p_(k) <= q k / d.
    ordered = np.sort(pvalues)
    passing = [k for k in range(1, len(ordered) + 1) if ordered[k - 1] <= q * k / len(ordered)]
    expected = ordered[max(passing) - 1] if passing else 0.0
    assert cutoff == expected
    # scipy's adjusted p-values keep the same features (up to float rounding at the edge).
    kept = pvalues <= cutoff
    adjusted = false_discovery_control(pvalues, method="bh")
    assert np.array_equal(kept, adjusted <= q * (1 + 1e-12)) or np.isclose(adjusted, q).any()


def test_beating_the_bh_threshold_is_being_kept():
    rng = np.random.default_rng(0)
    shadows = rng.exponential(size=199)
    scores = np.r_[rng.exponential(size=20), [9.0, 12.0, 15.0]]
    pvalues = shadow_pvalues(scores, shadows)
    cutoff = benjamini_hochberg_cutoff(pvalues, 0.1)
    assert np.array_equal(scores > noise_threshold(shadows, cutoff), pvalues <= cutoff)


def test_simes_within_groups_is_the_smallest_bh_adjusted_pvalue_and_at_most_bonferroni():
    from scipy.stats import false_discovery_control

    rng = np.random.default_rng(0)
    pvalues = rng.uniform(size=30) ** 2
    groups = [[0], list(range(1, 5)), list(range(5, 30))]
    combined = simes_within_groups(pvalues, groups)
    for group, value in zip(groups, combined):
        assert value == pytest.approx(false_discovery_control(pvalues[group], method="bh").min())
        assert value <= min(1.0, len(group) * pvalues[group].min()) + 1e-12
    np.testing.assert_allclose(simes_within_groups(np.array([0.01, 0.2, 0.04, 0.3]), [[0], [1, 2, 3]]), [0.01, 0.12])


@settings(max_examples=100, deadline=None)
@given(fits=st.lists(st.tuples(scores_strategy, scores_strategy), min_size=1, max_size=4))
def test_pooled_pvalues_count_each_fits_own_shadows(fits):
    n_features = min(len(scores) for scores, _ in fits)
    scores = [np.array(s[:n_features]) for s, _ in fits]
    shadows = [np.array(h) for _, h in fits]
    at_least = [
        sum(sum(h >= s[j] for h in fit_shadows) for s, fit_shadows in zip(scores, shadows)) for j in range(n_features)
    ]
    expected = (1 + np.array(at_least)) / (1 + sum(len(h) for h in shadows))
    np.testing.assert_allclose(pooled_shadow_pvalues(scores, shadows), expected)
    if len(fits) == 1:
        np.testing.assert_allclose(pooled_shadow_pvalues(scores, shadows), shadow_pvalues(scores[0], shadows[0]))


def test_hits_are_strict_wins_over_the_best_shadow():
    np.testing.assert_array_equal(best_shadow_hits(np.array([3.0, 2.0, 1.0]), np.array([2.0, 0.5])), [1, 0, 0])


@pytest.mark.parametrize("n_fits", [1, 5, 12])
def test_hits_pvalues_are_the_binomial_tail_counted_out(n_fits):
    hits = np.arange(n_fits + 1)
    tails = [sum(comb(n_fits, k, exact=True) for k in range(h, n_fits + 1)) / 2**n_fits for h in hits]
    np.testing.assert_allclose(hits_pvalues(hits, n_fits), tails, rtol=1e-12)


def _kept(hits, n_fits, alpha, control):
    pvalues = hits_pvalues(hits, n_fits)
    if control == "fdr":
        return false_discovery_control(pvalues, method="bh") <= alpha
    return pvalues <= alpha


@settings(max_examples=200, deadline=None)
@given(
    done=st.integers(1, 8),
    extra=st.integers(0, 4),
    rates=st.lists(st.floats(0, 1), min_size=1, max_size=3),
    alpha=st.sampled_from([0.05, 0.2]),
    control=st.sampled_from(["fdr", "per_feature"]),
    seed=st.integers(0, 1000),
)
def test_a_final_decision_is_the_decision_of_every_way_the_remaining_fits_could_go(
    done, extra, rates, alpha, control, seed
):
    rng = np.random.default_rng(seed)
    hits = rng.binomial(done, rates)
    planned = done + extra
    # Every completion: each feature wins any number of the remaining fits.
    completions = np.stack(np.meshgrid(*[np.arange(extra + 1)] * len(hits), indexing="ij"), -1).reshape(-1, len(hits))
    decisions = {tuple(_kept(hits + more, planned, alpha, control)) for more in completions}
    assert hits_decision_is_final(hits, done, planned, alpha, control) == (len(decisions) == 1)
    if len(decisions) == 1:  # and the p-values of the fits done keep the same features
        assert tuple(_kept(hits, done, alpha, control)) in decisions
