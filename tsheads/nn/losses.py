"""Pretraining and fine-tuning losses, all in the scaled space and restricted to valid points."""

from __future__ import annotations

from typing import NamedTuple

import torch

from .encoder import spectrum
from .model import Output
from .scaling import normalise


def masked_mse(pred: torch.Tensor, target: torch.Tensor, where: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the points where ``where`` is True (0 when there are none)."""
    w = where.to(pred.dtype)
    return (((pred - target) ** 2) * w).sum() / w.sum().clamp_min(1.0)


def pinball(pred: torch.Tensor, target: torch.Tensor, quantiles: torch.Tensor, where: torch.Tensor) -> torch.Tensor:
    """Mean quantile loss; ``pred`` (B, C, Q, H), ``target`` and ``where`` (B, C, H)."""
    diff = target.unsqueeze(2) - pred
    q = quantiles.view(1, 1, -1, 1)
    loss = torch.maximum(q * diff, (q - 1) * diff)
    w = where.unsqueeze(2).to(pred.dtype)
    return (loss * w).sum() / (w.sum() * len(quantiles)).clamp_min(1.0)


def forecast_losses(forecast: torch.Tensor, future_z: torch.Tensor, future_observed: torch.Tensor,
                    quantiles: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """MSE of the mean path and quantile loss of the forecast head ``(B, C, 1 + Q, H)`` on a scaled future.

    Only the steps both the head and the future cover are scored, so shorter futures are fine.
    """
    horizon = min(forecast.shape[-1], future_z.shape[-1])
    f, fz, fobs = forecast[..., :horizon], future_z[..., :horizon], future_observed[..., :horizon]
    return masked_mse(f[:, :, 0], fz, fobs), pinball(f[:, :, 1:], fz, quantiles, fobs)


class LossParts(NamedTuple):
    total: torch.Tensor
    forecast_mse: torch.Tensor
    forecast_pinball: torch.Tensor
    time_recon: torch.Tensor
    fft_recon: torch.Tensor
    register_nce: torch.Tensor = torch.zeros(())  # v2's semantic-register loss (0 when not trained)


def register_contrastive(a: torch.Tensor, b: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Symmetric InfoNCE between two views' register embeddings ``(B, D)``: row ``i`` of each is one series.

    Pulling a series' views together and pushing other series apart makes the registers describe the
    series' shape (scale and offset are removed by the input scaling; shifts and noise come from the views).
    """
    a = torch.nn.functional.normalize(a.float(), dim=-1)
    b = torch.nn.functional.normalize(b.float(), dim=-1)
    logits = a @ b.T / temperature
    target = torch.arange(len(a), device=a.device)
    return 0.5 * (torch.nn.functional.cross_entropy(logits, target)
                  + torch.nn.functional.cross_entropy(logits.T, target))


def pretraining_loss(out: Output, target_z: torch.Tensor, recon_where: torch.Tensor, future_z: torch.Tensor,
                     future_observed: torch.Tensor, quantiles: torch.Tensor,
                     weights=(1.0, 1.0, 1.0, 1.0), clip: float = 30.0) -> LossParts:
    """Forecast (mean MSE + quantile loss) and reconstruction in both spaces.

    ``target_z`` is the unmasked window in the model's scaled space; ``recon_where`` the hidden points
    that were really observed. The FFT branch is scored both on the spectrum of the full window and on
    its inverse FFT at the hidden points. Targets are clipped to ``±clip`` so a few windows with extreme
    jumps relative to their context do not dominate a batch.
    """
    target_z, future_z = target_z.clamp(-clip, clip), future_z.clamp(-clip, clip)
    f_mse, f_pin = forecast_losses(out.forecast, future_z, future_observed, quantiles)
    t_rec = masked_mse(out.time_recon, target_z, recon_where)
    true_spec = spectrum(target_z)
    has_mask = recon_where.any(-1, keepdim=True).expand_as(true_spec)
    s_rec = masked_mse(out.fft_spec, true_spec, has_mask) + masked_mse(out.fft_recon, target_z, recon_where)
    w = weights
    total = w[0] * f_mse + w[1] * f_pin + w[2] * t_rec + w[3] * s_rec
    return LossParts(total, f_mse, f_pin, t_rec, s_rec)


def masked_objective(out: Output, x: torch.Tensor, observed: torch.Tensor, hidden: torch.Tensor,
                     future: torch.Tensor, future_observed: torch.Tensor, quantiles: torch.Tensor) -> LossParts:
    """:func:`pretraining_loss` of a forward pass on ``x`` with ``hidden`` points masked, from raw windows.

    Targets are scaled with the statistics the model computed from the visible points, as at inference.
    """
    scale = out.encoded.scale
    target_z, future_z = normalise(x, scale, observed), normalise(future, scale, future_observed)
    return pretraining_loss(out, target_z, hidden, future_z, future_observed, quantiles)


# ------------------------------------------------------------------------------- winner-takes-all losses
#: how the per-hypothesis errors are turned into one loss (see :func:`wta_loss`)
WTA_MODES = ("hard", "relaxed", "annealed")
#: how the score heads are trained and their logits turned into weights (see :func:`score_loss`)
SCORE_KINDS = ("softmax", "sigmoid")


def hypothesis_errors(hypotheses: torch.Tensor, target: torch.Tensor, where: torch.Tensor) -> torch.Tensor:
    """Mean squared error of each hypothesis over all channels and steps: ``(B, C, K, H)`` -> ``(B, K)``.

    Summing over channels makes the winner the best *joint* trajectory of a multivariate sample.
    """
    w = where.unsqueeze(2).to(hypotheses.dtype)
    sq = ((hypotheses - target.unsqueeze(2)) ** 2) * w
    return sq.sum(dim=(1, 3)) / w.sum(dim=(1, 3)).clamp_min(1.0)


def wta_loss(errors: torch.Tensor, mode: str = "relaxed", epsilon: float = 0.1,
             temperature: float = 1.0) -> torch.Tensor:
    """Winner-takes-all loss of per-hypothesis errors ``(B, K)``.

    - ``hard``: only the best hypothesis of each sample is trained (pure WTA; heads may starve).
    - ``relaxed``: the winner gets weight ``1 - epsilon``, the others share ``epsilon`` (Rupprecht et al.
      2017), so no head is left without gradient.
    - ``annealed``: softmin weights ``softmax(-errors / temperature)`` (Perera et al. 2024); a high
      temperature trains all heads alike, and lowering it over training approaches hard WTA.
    Weights are constants (no gradient flows through the assignment).
    """
    k = errors.shape[-1]
    if mode == "hard" or k == 1:
        return errors.min(dim=-1).values.mean()
    if mode == "relaxed":
        winner = torch.nn.functional.one_hot(errors.argmin(dim=-1), k).to(errors.dtype)
        weights = winner * (1 - epsilon) + (1 - winner) * (epsilon / (k - 1))
    elif mode == "annealed":
        weights = torch.softmax(-errors.detach() / max(temperature, 1e-8), dim=-1)
    else:
        raise ValueError(f"wta mode must be one of {WTA_MODES}, got {mode!r}")
    return (weights * errors).sum(dim=-1).mean()


def score_loss(logits: torch.Tensor, errors: torch.Tensor, kind: str = "softmax") -> torch.Tensor:
    """Loss of the score heads against the winning hypothesis of each sample.

    ``"softmax"``: cross-entropy over the ``K`` logits, so the scores form a probability vector by
    construction, which the mixture forecast needs. ``"sigmoid"``: TimeMCL's ``K`` independent binary
    cross-entropies (winner 1, the others 0), averaged over heads; the weights are then the sigmoids
    normalised to sum 1 (:func:`score_probabilities`).
    """
    winners = errors.detach().argmin(dim=-1)
    if kind == "softmax":
        return torch.nn.functional.cross_entropy(logits.float(), winners)
    if kind == "sigmoid":
        target = torch.nn.functional.one_hot(winners, logits.shape[-1]).float()
        return torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), target)
    raise ValueError(f"score kind must be one of {SCORE_KINDS}, got {kind!r}")


def score_probabilities(logits: torch.Tensor, kind: str = "softmax") -> torch.Tensor:
    """Hypothesis weights ``(..., K)`` summing to 1 from score logits trained by :func:`score_loss` of ``kind``."""
    if kind == "softmax":
        return torch.softmax(logits, dim=-1)
    if kind == "sigmoid":
        p = torch.sigmoid(logits)
        return p / p.sum(dim=-1, keepdim=True).clamp_min(torch.finfo(p.dtype).tiny)
    raise ValueError(f"score kind must be one of {SCORE_KINDS}, got {kind!r}")
