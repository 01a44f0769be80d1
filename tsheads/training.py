"""Fine-tuning a pretrained :class:`~tsheads.nn.model.DualSpaceModel` on a user's windows (plain torch).

Two objectives: ``"forecast"`` (mean MSE + quantile loss; a forecaster only needs that head, so the
reconstruction heads keep their pretrained weights) and ``"masked"`` (the pretraining objective: hybrid
masks, reconstruction in both spaces plus the forecast, so every head an anomaly detector uses adapts).
"""

from __future__ import annotations

import numpy as np
import torch

from .errors import TsheadsError
from .inference import fit_context, standardise
from .nn.losses import forecast_losses, hypothesis_errors, masked_objective, score_loss, wta_loss
from .nn.masking import hybrid_mask
from .nn.model import DualSpaceModel
from .nn.scaling import normalise
from .nn.wta import WTAModel
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


def standardised_pairs(windows: Windows, context: int) -> tuple[np.ndarray, ...]:
    """Pasts fitted to ``context`` and z-scored per (window, channel) in float64, futures in the same units.

    As at inference (:func:`tsheads.inference.standardise`), so tiny and huge magnitudes fit in float32.
    Windows with a constant past in some channel are dropped: they have no unit to express the future
    in (any change would be an unbounded z-score), so they would dominate a squared loss.
    """
    past, past_obs = fit_context(windows.past, windows.past_observed, context)
    past, loc, scale = standardise(past, past_obs)
    keep = (scale > 0).all(axis=(1, 2))
    if not keep.any():
        raise TsheadsError("every training window has a constant context; there is nothing to learn a scale from")
    future = (windows.future[keep].astype(np.float64) - loc[keep]) / scale[keep]
    future_obs = windows.future_observed[keep]
    return past[keep], past_obs[keep], np.where(future_obs, future, 0.0).astype(np.float32), future_obs


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

    per_channel_windows = Windows(*(per_channel(a) for a in windows[:4]), windows.series_index)
    past, past_obs, future, future_obs = standardised_pairs(per_channel_windows, model.config.context_length)
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


# ----------------------------------------------------------------------------------- WTA forecaster training
def annealing_temperature(epoch: int, max_epochs: int, schedule: tuple[float, float]) -> float:
    """Geometric decay from ``schedule[0]`` at the first epoch to ``schedule[1]`` at the last."""
    start, end = schedule
    return float(start * (end / start) ** (epoch / max(max_epochs - 1, 1)))


def wta_outputs(model: WTAModel, past: np.ndarray, past_obs: np.ndarray, batch_size: int = 512):
    """Hypotheses ``(N, C, K, H)`` and score logits ``(N, K)`` of standardised pasts, without gradients.

    ``batch_size`` counts sequences (windows x channels) per forward pass, as at inference.
    """
    device = next(model.parameters()).device
    hyp, logits = [], []
    step = max(1, batch_size // past.shape[1])
    model.eval()
    with torch.inference_mode():
        for s in range(0, len(past), step):
            x = torch.as_tensor(past[s:s + step], device=device)
            o = torch.as_tensor(past_obs[s:s + step], device=device)
            out = model(x, o)
            hyp.append(model.in_data_units(out).float().cpu())
            logits.append(out.logits.float().cpu())
    return torch.cat(hyp), torch.cat(logits)


def _validation_loss(model: WTAModel, pairs) -> dict:
    """Distortion (error of the best hypothesis) and score cross-entropy on held-out pairs."""
    hyp, logits = wta_outputs(model, pairs[0], pairs[1])
    future = torch.as_tensor(pairs[2]).clamp(-30, 30)
    errors = hypothesis_errors(hyp, future, torch.as_tensor(pairs[3]))
    distortion = float(errors.min(-1).values.mean())
    return {"val_distortion": distortion, "val_score_ce": float(score_loss(logits, errors))}


def train_wta(model: WTAModel, train: tuple, valid: tuple, *, mode: str = "relaxed", epsilon: float = 0.1,
              temperature: tuple[float, float] = (1.0, 0.01), score_weight: float = 0.5, max_epochs: int = 40,
              steps_per_epoch: int = 50, batch_size: int = 64, learning_rate: float = 3e-4,
              backbone_learning_rate: float = 3e-5, patience: int = 5, seed: int = 0,
              verbose: bool = False) -> list[dict]:
    """Train hypothesis and score heads (and the backbone at its own rate; 0 freezes it) in place.

    ``train`` and ``valid`` are :func:`standardised_pairs` of the training and held-out windows. An epoch
    is ``steps_per_epoch`` minibatches drawn at random from ``train`` (as GluonTS's
    ``num_batches_per_epoch``). After each epoch the distortion (error of the best hypothesis; the same
    for every mode, so epochs compare) is measured on ``valid``; training stops after ``patience`` epochs
    without improvement and the best weights are restored. The score cross-entropy is recorded but not
    used to stop: it is noisier than distortion changes and would end training early. Returns one record
    per epoch. Seeded under ``torch.random.fork_rng``, so the global RNG is untouched and runs repeat.
    """
    from tqdm.auto import tqdm

    device = next(model.parameters()).device
    groups = [{"params": list(model.heads.parameters()), "lr": learning_rate}]
    if backbone_learning_rate > 0:
        groups.append({"params": list(model.encoder.parameters()), "lr": backbone_learning_rate})
    else:
        model.encoder.requires_grad_(False)
    trained = [p for g in groups for p in g["params"]]
    rng = np.random.default_rng(seed)
    history, best, best_state, stale = [], np.inf, None, 0
    try:
        opt = torch.optim.AdamW(groups, weight_decay=0.0)
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            bar = tqdm(range(max_epochs), desc="train WTA", disable=not verbose)
            for epoch in bar:
                t = annealing_temperature(epoch, max_epochs, temperature)
                model.train()
                if backbone_learning_rate <= 0:
                    model.encoder.eval()
                losses = []
                for _ in range(steps_per_epoch):
                    idx = rng.integers(0, len(train[0]), min(batch_size, len(train[0])))
                    past, obs, future, fobs = (torch.as_tensor(a[idx], device=device) for a in train)
                    out = model(past, obs)
                    errors = hypothesis_errors(out.hypotheses, normalise(future, out.scale, fobs).clamp(-30, 30), fobs)
                    loss = wta_loss(errors, mode, epsilon, t) + score_weight * score_loss(out.logits, errors)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(trained, 1.0)
                    opt.step()
                    losses.append(float(loss.detach()))
                record = {"epoch": epoch, "train_loss": float(np.mean(losses)), "temperature": t,
                          **_validation_loss(model, valid)}
                history.append(record)
                bar.set_postfix(distortion=f"{record['val_distortion']:.4f}")
                if record["val_distortion"] < best - 1e-6:
                    best, stale = record["val_distortion"], 0
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    stale += 1
                    if stale >= patience:
                        break
    finally:
        model.requires_grad_(True)
        if best_state is not None:
            model.load_state_dict(best_state)
        model.eval()
    return history
