"""TriangulationDetector against scikit-learn's own estimator checks (``parametrize_with_checks``).

A tiny configuration (one head, a 16-point window, light smoothing) keeps the whole set to seconds. The
checks that cannot hold for a detector of time series are listed with the reason; every other check must
pass, and an expected failure that starts passing fails the test (strict xfail), so the list stays honest.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from tsheads.errors import DataTypeError, EmptyDataError, NonNumericValueError, SeriesTooShortError, TsheadsError
from tsheads.estimators.anomaly import TriangulationDetector

#: checks that do not apply to a detector whose rows are consecutive time steps of one series
TIME_SERIES_EXCEPTIONS = {
    "check_fit1d": "a 1-D array is one univariate series (time steps), not an invalid 2-D sample matrix",
    "check_methods_sample_order_invariance": "rows are time steps: reordering them changes the series, and every "
                                             "score depends on the neighbouring steps",
    "check_methods_subset_invariance": "scores depend on context (windows, smoothing, ranks within the scored "
                                       "series), so scoring a slice differs from slicing the scores",
}


def tiny_detector():
    return TriangulationDetector(heads=("time",), combine="time", window=16, smoothing=2, batch_size=64)


@parametrize_with_checks([tiny_detector()], expected_failed_checks=lambda est: TIME_SERIES_EXCEPTIONS)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_sklearn_input_conventions_raise_project_errors():
    from scipy import sparse

    x = np.random.default_rng(0).standard_normal((40, 2))
    det = tiny_detector().fit(x)
    assert det.n_features_in_ == 2 and det.n_channels_ == 2
    with pytest.raises(TsheadsError, match="expecting 2 features"):
        det.decision_function(x[:, :1])
    with pytest.raises(TsheadsError, match="Reshape your data"):
        det.decision_function(x[:, 0])
    with pytest.raises(DataTypeError, match="sparse"):
        tiny_detector().fit(sparse.csr_matrix(x))
    with pytest.raises(DataTypeError, match="Complex data not supported"):
        tiny_detector().fit(x + 1j)
    with pytest.raises(EmptyDataError, match=r"0 feature\(s\) \(shape=\(40, 0\)\)"):
        tiny_detector().fit(x[:, :0])
    with pytest.raises(SeriesTooShortError, match="n_samples=1"):
        tiny_detector().fit(x[:1])
    with pytest.raises(NonNumericValueError, match="argument must be a string.* number") as err:
        tiny_detector().fit(np.array([1.0, {"a": 1}] * 20, dtype=object))
    assert isinstance(err.value, TypeError) and isinstance(err.value, ValueError)
    numbers = tiny_detector().fit(x.astype(object)).decision_function(x)
    np.testing.assert_allclose(numbers, det.decision_function(x), rtol=1e-12)
    assert tiny_detector().__sklearn_tags__().input_tags.allow_nan
    with_none = x[:, 0].astype(object)
    with_none[5] = None  # as in pandas, None in an object array is a missing value
    gaps = x[:, 0].copy()
    gaps[5] = np.nan
    np.testing.assert_allclose(tiny_detector().fit(with_none).decision_function(with_none),
                               tiny_detector().fit(gaps).decision_function(gaps), rtol=1e-12)
