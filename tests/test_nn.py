"""The torch modules: shapes, masks, the FFT round trip, scaling inside the model, short inputs."""

import numpy as np
import pytest
import torch

from tsheads.errors import WeightsError
from tsheads.nn.config import EncoderConfig
from tsheads.nn.encoder import inverse_spectrum, spectrum
from tsheads.nn.masking import block_mask, hybrid_mask, point_mask
from tsheads.nn.model import DualSpaceModel

N_QUANTILES = len(EncoderConfig().quantiles)
N_TOKENS = 2 + 2 * 8  # registers + time patches + FFT patches of the tiny model

def test_default_model_is_about_one_million_parameters():
    n = DualSpaceModel(EncoderConfig()).n_parameters()
    assert 0.8e6 < n < 1.2e6


def test_forward_shapes(tiny_model):
    m = tiny_model()
    x = torch.randn(5, 3, 64)
    out = m(x, torch.ones_like(x, dtype=torch.bool))
    assert out.encoded.tokens.shape == (5, 3, N_TOKENS, 16)
    assert out.time_recon.shape == out.fft_recon.shape == out.fft_spec.shape == (5, 3, 64)
    assert out.forecast.shape == (5, 3, 1 + N_QUANTILES, 12)


def test_spectrum_round_trip_is_exact_without_nyquist():
    z = torch.randn(4, 2, 64, dtype=torch.float64)
    f = torch.fft.rfft(z, norm="ortho")
    f[..., -1] = 0  # the representation drops the Nyquist bin
    z0 = torch.fft.irfft(f, n=64, norm="ortho")
    assert torch.allclose(inverse_spectrum(spectrum(z0)).double(), z0, atol=1e-5)


def test_masks_hide_the_requested_share_and_whole_patches():
    g = torch.Generator().manual_seed(0)
    shape = (200, 1, 64)
    assert point_mask(shape, torch.full((200, 1, 1), 0.25), g).float().mean().item() == pytest.approx(0.25, abs=0.02)
    blocks = block_mask(shape, 8, torch.full((200, 1, 1), 0.5), g)
    per_patch = blocks.view(200, 1, 8, 8)
    assert (per_patch.all(-1) | ~per_patch.any(-1)).all()  # every patch all-hidden or all-visible
    share = hybrid_mask(shape, 8, 0.1, 0.5, g).float().mean().item()
    assert 0.05 < share < 0.4


def test_forecast_is_equivariant_to_affine_maps_of_the_input(tiny_model):
    """Scaling happens inside the model: forecasts of a*x+b are a*f(x)+b."""
    m = tiny_model()
    x = torch.randn(3, 1, 64).cumsum(-1)
    obs = torch.ones_like(x, dtype=torch.bool)
    with torch.no_grad():
        mean, q = m.forecast(x, obs, 12)
        mean2, q2 = m.forecast(1000 * x + 5e4, obs, 12)
    assert torch.allclose(mean2, 1000 * mean + 5e4, rtol=1e-4, atol=0.5)
    assert torch.allclose(q2, 1000 * q + 5e4, rtol=1e-4, atol=0.5)


def test_unobserved_values_do_not_matter(tiny_model):
    m = tiny_model()
    x = torch.randn(2, 1, 64)
    obs = torch.ones_like(x, dtype=torch.bool)
    obs[..., :40] = False  # a short series, left-padded
    y = x.clone()
    y[..., :40] = 1e6
    with torch.no_grad():
        assert torch.equal(m.forecast(x, obs, 12)[0], m.forecast(y, obs, 12)[0])


def test_long_horizons_roll_forward_and_quantiles_are_sorted(tiny_model):
    m = tiny_model()
    x = torch.randn(2, 1, 64)
    with torch.no_grad():
        mean, q = m.forecast(x, torch.ones_like(x, dtype=torch.bool), 30)
    assert mean.shape == (2, 1, 30) and q.shape == (2, 1, N_QUANTILES, 30)
    assert (q.diff(dim=2) >= 0).all()
    assert torch.isfinite(mean).all()


def test_single_observed_point_and_constant_input_stay_finite(tiny_model):
    m = tiny_model()
    x = torch.full((2, 1, 64), 3.0)
    obs = torch.zeros_like(x, dtype=torch.bool)
    obs[0, :, -1] = True
    obs[1] = True
    with torch.no_grad():
        mean, _ = m.forecast(x, obs, 12)
    assert torch.isfinite(mean).all()
    assert torch.allclose(mean, torch.full_like(mean, 3.0), atol=0.05)  # scale ~ eps: stays at the level


def test_channel_mixing_option_changes_nothing_about_shapes(tiny_model):
    m = tiny_model(channel_mixing=True)
    x = torch.randn(2, 4, 64)
    out = m(x, torch.ones_like(x, dtype=torch.bool))
    assert out.forecast.shape[:2] == (2, 4)


def test_embeddings_shapes(tiny_model):
    m = tiny_model()
    x = torch.randn(3, 1, 64)
    sem, det = m.embed(x, torch.ones_like(x, dtype=torch.bool))
    assert sem.shape == (3, 1, 2 * 16) and det.shape == (3, 1, 8, 16)


@pytest.mark.parametrize("bad", [dict(context_length=60, patch_length=16), dict(quantiles=(0.1, 0.9)),
                                 dict(quantiles=(0.5, 0.2))])
def test_bad_config_is_refused(bad):
    with pytest.raises(WeightsError):
        EncoderConfig(**bad)


def test_random_init_is_repeatable(tiny_model):
    a, b = tiny_model(seed=3), tiny_model(seed=3)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    assert np.isfinite(a.n_parameters())
