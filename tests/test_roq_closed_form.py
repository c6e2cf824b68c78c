"""Closed-form NPV sums (constant growth) equal the year loop, scenario by scenario."""

import numpy as np
import pytest

import simulator.roq.model as model
from simulator.roq import evaluate


def _loop(parameters, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(model, "_closed_form_sums", lambda *a, **k: None)
        return evaluate(parameters, validate=False)


def _random_parameters(n, horizon, seed=0):
    rng = np.random.default_rng(seed)
    churn = rng.uniform(0, 0.3, n) * (rng.uniform(size=n) > 0.2)
    growth = np.maximum(rng.uniform(-0.05, 0.2, n) * (rng.uniform(size=n) > 0.2), -churn)
    return dict(
        horizon=horizon, market_size=250760.0, market_growth=growth, churn=churn,
        competitor_switching=rng.uniform(0, 0.01, n) * (rng.uniform(size=n) > 0.3), attraction=rng.uniform(0, 0.1, n),
        initial_share=rng.uniform(0, 0.2, n), margin=rng.uniform(1e5, 3e5, n), discount_rate=rng.uniform(-0.05, 0.4, n),
        initial_cost=558e6 * (rng.uniform(size=n) > 0.1), annual_cost=699e6 * (rng.uniform(size=n) > 0.1),
        # R at and near its bound 1 - c (the recursion's ratio q near 1), and ordinary values
        retention=(1 - churn) * rng.choice([1.0, 1 - 1e-9, 1 - 1e-5, 0.9, 0.5, 0.0], n),
        baseline_retention=(1 - churn) * rng.uniform(0, 1, n),
    )


@pytest.mark.parametrize("horizon", [8, 13, 50, 100])
def test_closed_form_equals_the_loop(horizon, monkeypatch):
    parameters = _random_parameters(20000, horizon)
    closed, loop = evaluate(parameters, validate=False), _loop(parameters, monkeypatch)
    scale = np.abs(loop["npv_with_programme"]) + np.abs(loop["npv_without_programme"])
    for name in ("npv_with_programme", "npv_without_programme", "npv_gain"):
        assert np.allclose(closed[name], loop[name], rtol=0, atol=1e-12 * scale.max()), name
        assert np.all(np.abs(closed[name] - loop[name]) <= 1e-12 * scale + 1e-300), name
    for name in ("npv_programme_cost", "final_market_share", "final_market_share_without_programme"):
        assert np.allclose(closed[name], loop[name], rtol=1e-12, atol=0), name
    finite = np.isfinite(loop["roq"])
    assert np.array_equal(finite, np.isfinite(closed["roq"]))


def test_constant_baseline_share_and_given_paths():
    base = dict(horizon=20, market_size=1e5, market_growth=0.05, churn=0.1, competitor_switching=0.002, attraction=0.03,
                initial_share=0.07, retention=0.8, baseline_market_share=0.03, margin=1e5, discount_rate=0.2,
                initial_cost=1e8, annual_cost=1e8)
    closed = evaluate(base)
    years = np.arange(1, 21)
    sizes = 1e5 * 1.05**years
    npv0 = np.sum(1e5 * 0.03 * sizes / 1.2**years)
    assert closed["npv_without_programme"] == pytest.approx(npv0, rel=1e-13)
    # a per-year path keeps the loop and gives the same numbers as the closed form
    path = dict(base, market_growth_path=np.full(20, 0.05))
    del path["market_growth"]
    assert evaluate(path)["npv_gain"] == pytest.approx(closed["npv_gain"], rel=1e-12)


def test_same_numbers_for_any_chunk_split():
    parameters = _random_parameters(4096, 30, seed=3)
    whole = evaluate(parameters, validate=False)["roq"]
    halves = [evaluate({k: (v[s] if isinstance(v, np.ndarray) else v) for k, v in parameters.items()}, validate=False)["roq"]
              for s in (slice(0, 1000), slice(1000, None))]
    assert np.array_equal(np.concatenate(halves), whole, equal_nan=True)
