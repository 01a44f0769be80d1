"""Fine-tuning a pretrained :class:`~tsheads.nn.model.DualSpaceModel` on a user's windows (plain torch).

Two objectives: ``"forecast"`` (mean MSE + quantile loss; a forecaster only needs that head, so the
reconstruction heads keep their pretrained weights) and ``"masked"`` (the pretraining objective: hybrid
masks, reconstruction in both spaces plus the forecast, so every head an anomaly detector uses adapts).
"""

from __future__ import annotations

import numpy as np
import torch

from .inference import fit_context, standardise
from .nn.losses import forecast_losses, masked_objective
from .nn.masking import hybrid_mask
from .nn.model import DualSpaceModel
from .nn.scaling import normalise
from .windows import Windows

MODES = ("head", "all")
OBJECTIVES = ("forecast", "masked")


def trainable_parameters(model: DualSpaceModel, mode: str) -> list:
    """``"head"``: the forecast head only (fast, little data needed); ``"all"``: every weight."""
    if mode not in MODES:
        raise ValueError(f"fine-tune mode must be one of {MODES}, got {mode!r}")
    params = model.forecast_head.parameters() if mode == "head" else model.parameters()
    return list(params)


def forecast_loss(model: DualSpaceModel, past, past_obs, future, future_obs, generator=None) -> torch.Tensor:
    out = model(past, past_obs)
    fz = normalise(future, out.encoded.scale, future_obs).clamp(-30, 30)
    q = torch.tensor(model.config.quantiles, dtype=fz.dtype, device=fz.device)
    mse, quantile_loss = forecast_losses(out.forecast, fz, future_obs, q)
    return mse + quantile_loss


def masked_loss(model: DualSpaceModel, past, past_obs, future, future_obs, generator=None) -> torch.Tensor:
    """The pretraining objective on a batch: hide points with hybrid masks, score every head."""
    hidden = hybrid_mask(past.shape, model.config.patch_length, generator=generator).to(past.device) & past_obs
    visible = past_obs & ~hidden
    too_few = visible.sum(-1, keepdim=True) < 2  # nothing left to rebuild from: keep the window whole
    hidden, visible = hidden & ~too_few, torch.where(too_few, past_obs, visible)
    q = torch.tensor(model.config.quantiles, dtype=past.dtype, device=past.device)
    return masked_objective(model(past, visible), past, past_obs, hidden, future, future_obs, q).total


def fine_tune(model: DualSpaceModel, windows: Windows, mode: str = "head", steps: int = 200, batch_size: int = 64,
              learning_rate: float = 1e-4, seed: int = 0, verbose: bool = False,
              objective: str = "forecast") -> list[float]:
    """Train in place for ``steps`` minibatches drawn from ``windows``; returns the loss per step.

    Windows are ``(B, C, time)`` arrays from :func:`tsheads.windows.sliding_windows`; each channel is
    trained as its own series, as in pretraining. Runs under ``torch.random.fork_rng`` with ``seed``
    so the global torch RNG is left untouched and repeated calls give identical weights.
    """
    from tqdm.auto import tqdm

    if objective not in OBJECTIVES:
        raise ValueError(f"fine-tune objective must be one of {OBJECTIVES}, got {objective!r}")
    loss_fn = forecast_loss if objective == "forecast" else masked_loss

    def per_channel(a):
        b, c, t = a.shape
        return np.ascontiguousarray(a.reshape(b * c, 1, t))

    past, past_obs = fit_context(per_channel(windows.past), per_channel(windows.past_observed),
                                 model.config.context_length)
    future, future_obs = per_channel(windows.future), per_channel(windows.future_observed)
    # float64 z-scores from the past (as at inference) keep tiny and huge magnitudes inside float32
    past, loc, scale = standardise(past, past_obs)
    spread = np.where(scale > 0, scale, 1.0)
    future = np.where(future_obs, (future.astype(np.float64) - loc) / spread, 0.0).astype(np.float32)
    device = next(model.parameters()).device
    params = trainable_parameters(model, mode)
    rng = np.random.default_rng(seed)
    history = []
    try:
        for p in model.parameters():
            p.requires_grad_(False)
        for p in params:
            p.requires_grad_(True)
        opt = torch.optim.AdamW(params, lr=learning_rate, weight_decay=0.0)
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            gen = torch.Generator().manual_seed(seed)
            model.train()
            if mode == "head":
                model.encoder.eval()  # the head learns from the same (dropout-free) features it sees at inference
            for _ in tqdm(range(steps), desc="fine-tune", disable=not verbose):
                idx = rng.integers(0, len(past), min(batch_size, len(past)))
                tensors = (torch.as_tensor(a[idx], device=device) for a in (past, past_obs, future, future_obs))
                loss = loss_fn(model, *tensors, generator=gen)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
                history.append(float(loss.detach()))
    finally:
        for p in model.parameters():
            p.requires_grad_(True)
        model.eval()
    return history
