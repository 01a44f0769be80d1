"""Fine-tuning a pretrained :class:`~tsheads.nn.model.DualSpaceModel` on a user's windows (plain torch).

Two objectives: ``"forecast"`` (mean MSE + quantile loss; a forecaster only needs that head, so the
reconstruction heads keep their pretrained weights) and ``"masked"`` (the pretraining objective: hybrid
masks, reconstruction in both spaces plus the forecast, so every head an anomaly detector uses adapts).
"""

from __future__ import annotations

import warnings

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


def loss_function(objective: str):
    """The batch loss of a fine-tuning ``objective`` (``"forecast"`` or ``"masked"``)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"fine-tune objective must be one of {OBJECTIVES}, got {objective!r}")
    return forecast_loss if objective == "forecast" else masked_loss


def channel_pairs(windows: Windows, context: int) -> tuple[np.ndarray, ...]:
    """:func:`standardised_pairs` with each channel as its own series, as in pretraining."""

    def per_channel(a):
        b, c, t = a.shape
        return np.ascontiguousarray(a.reshape(b * c, 1, t))

    per_channel_windows = Windows(*(per_channel(a) for a in windows[:4]), windows.series_index)
    return standardised_pairs(per_channel_windows, context)


def held_out_loss(model: DualSpaceModel, pairs, objective: str = "forecast", batch_size: int = 256,
                  seed: int = 0) -> float:
    """Mean ``objective`` loss on :func:`channel_pairs` of held-out windows, without gradients.

    Deterministic: the network runs in eval mode (no dropout) and the masks of ``"masked"`` come from a
    generator seeded with ``seed`` on every call, so the same weights always score the same. Batches are
    weighted by their observed future points. The model's train/eval flags are left as they were.
    """
    loss_fn = loss_function(objective)
    device = next(model.parameters()).device
    flags = [(m, m.training) for m in model.modules()]
    gen = torch.Generator().manual_seed(seed)
    total, weight = 0.0, 0.0
    model.eval()
    try:
        with torch.no_grad():
            for s in range(0, len(pairs[0]), batch_size):
                batch = [torch.as_tensor(a[s:s + batch_size], device=device) for a in pairs]
                w = float(batch[3].sum()) or float(batch[3].numel())
                total += w * float(loss_fn(model, *batch, generator=gen))
                weight += w
    finally:
        for m, training in flags:
            m.train(training)
    return total / weight


class BestWeights:
    """Keeps a copy of the weights with the lowest validation loss seen so far (early stopping).

    :meth:`update` records a loss: a loss below the best by more than ``min_delta`` copies the weights and
    resets the count of evaluations without improvement (``stale``); :meth:`restore` loads the copy back.
    """

    def __init__(self, patience: int | None = None, min_delta: float = 1e-6):
        self.patience, self.min_delta = patience, min_delta
        self.loss, self.step, self.state, self.stale = np.inf, None, None, 0

    def update(self, model: torch.nn.Module, loss: float, step: int | None = None) -> bool:
        """Record ``loss`` of the current weights; True when training should stop (patience spent)."""
        if loss < self.loss - self.min_delta:
            self.loss, self.step, self.stale = loss, step, 0
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.stale += 1
        return self.patience is not None and self.stale >= self.patience

    def restore(self, model: torch.nn.Module) -> None:
        if self.state is not None:
            model.load_state_dict(self.state)


def _train_steps(model: DualSpaceModel, pairs, mode: str, steps: int, batch_size: int, learning_rate: float,
                 seed: int, verbose: bool, loss_fn, after_step=None) -> list[float]:
    """The fine-tuning loop: ``steps`` AdamW minibatches of ``pairs``; returns the loss per step.

    ``after_step(step, bar)`` (optional) runs after each step (counted from 1) and ends training by
    returning True. Seeded under ``torch.random.fork_rng``: the global torch RNG is left untouched.
    """
    from tqdm.auto import tqdm

    past, past_obs, future, future_obs = pairs
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
            bar = tqdm(range(steps), desc="fine-tune", disable=not verbose)
            for step in bar:
                idx = rng.integers(0, len(past), min(batch_size, len(past)))
                tensors = (torch.as_tensor(a[idx], device=device) for a in (past, past_obs, future, future_obs))
                loss = loss_fn(model, *tensors, generator=gen)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
                history.append(float(loss.detach()))
                if after_step is not None and after_step(step + 1, bar):
                    break
    finally:
        for p in model.parameters():
            p.requires_grad_(True)
        model.eval()
    return history


def fine_tune(model: DualSpaceModel, windows: Windows, mode: str = "head", steps: int = 200, batch_size: int = 64,
              learning_rate: float = 1e-4, seed: int = 0, verbose: bool = False,
              objective: str = "forecast") -> list[float]:
    """Train in place for ``steps`` minibatches drawn from ``windows``; returns the loss per step.

    Windows are ``(B, C, time)`` arrays from :func:`tsheads.windows.sliding_windows`; each channel is
    trained as its own series, as in pretraining. Runs under ``torch.random.fork_rng`` with ``seed``
    so the global torch RNG is left untouched and repeated calls give identical weights. Nothing checks
    that the result forecasts better: :func:`fine_tune_validated` does, on held-out windows.
    """
    loss_fn = loss_function(objective)
    pairs = channel_pairs(windows, model.config.context_length)
    return _train_steps(model, pairs, mode, steps, batch_size, learning_rate, seed, verbose, loss_fn)


def fine_tune_validated(model: DualSpaceModel, windows: Windows, validation: Windows, mode: str = "head",
                        steps: int = 200, batch_size: int = 64, learning_rate: float = 1e-4, seed: int = 0,
                        verbose: bool = False, objective: str = "forecast", eval_every: int | None = None,
                        patience: int | None = None) -> tuple[list[float], dict]:
    """:func:`fine_tune` with early stopping on held-out ``validation`` windows; the best weights are kept.

    The validation loss (the training objective, computed deterministically by :func:`held_out_loss`) is
    measured before training (the zero-shot weights, step 0), every ``eval_every`` steps (default:
    ``steps // 20``, at least 5: about 20 checks in long runs) and after the last step. Training stops
    after ``patience`` checks without improvement (None: runs all ``steps``) and the weights with the
    lowest validation loss are restored, so the result is never worse than zero-shot on ``validation``.
    When no step beats the zero-shot weights they are kept and a ``UserWarning`` says so. ``validation``
    must not share future points with ``windows`` (see ``skip_last`` / ``within_last`` of
    :func:`tsheads.windows.sliding_windows`).

    Returns the training loss per step and a report: ``zero_shot_loss``, ``best_loss``, ``best_step``
    (0: the zero-shot weights), ``steps_run``, ``stopped_early``, ``kept_zero_shot`` and ``evaluations``
    (``[step, validation loss]`` pairs).
    """
    loss_fn = loss_function(objective)
    context = model.config.context_length
    pairs = channel_pairs(windows, context)
    try:
        held_out = channel_pairs(validation, context)
    except TsheadsError:
        raise TsheadsError("every validation window has a constant context; there is no unit to score the held-out "
                           "part in (hold out more points, or fine-tune without a validation split)") from None
    every = eval_every or max(5, steps // 20)
    best = BestWeights(patience)
    evaluations = []

    def check(step: int, bar=None) -> bool:
        loss = held_out_loss(model, held_out, objective, seed=seed)
        evaluations.append([step, loss])
        if bar is not None:
            bar.set_postfix(validation=f"{loss:.4f}")
        return best.update(model, loss, step)

    check(0)
    history = _train_steps(model, pairs, mode, steps, batch_size, learning_rate, seed, verbose, loss_fn,
                           after_step=lambda step, bar: (step % every == 0 or step == steps) and check(step, bar))
    best.restore(model)
    zero_shot = evaluations[0][1]
    report = {"zero_shot_loss": zero_shot, "best_loss": best.loss, "best_step": best.step,
              "steps_run": len(history), "stopped_early": len(history) < steps,
              "kept_zero_shot": best.step == 0, "evaluations": evaluations}
    if steps and best.step == 0:
        tuned = min(loss for _, loss in evaluations[1:])
        warnings.warn(f"fine-tuning did not lower the validation loss: zero-shot {zero_shot:.4g}, best after "
                      f"tuning {tuned:.4g} (in {len(history)} steps); the zero-shot weights are kept",
                      UserWarning, stacklevel=2)
    return history, report


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
    return {"val_distortion": distortion, "val_score_ce": float(score_loss(logits, errors, model.config.scores))}


def train_wta(model: WTAModel, train: tuple, valid: tuple, *, mode: str = "relaxed", epsilon: float = 0.1,
              temperature: tuple[float, float] = (1.0, 0.01), score_weight: float = 0.5, max_epochs: int = 40,
              steps_per_epoch: int = 50, batch_size: int = 64, learning_rate: float = 3e-4,
              backbone_learning_rate: float = 0.0, patience: int = 5, seed: int = 0,
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
    history, best = [], BestWeights(patience)
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
                    scored = score_loss(out.logits, errors, model.config.scores)
                    loss = wta_loss(errors, mode, epsilon, t) + score_weight * scored
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(trained, 1.0)
                    opt.step()
                    losses.append(float(loss.detach()))
                record = {"epoch": epoch, "train_loss": float(np.mean(losses)), "temperature": t,
                          **_validation_loss(model, valid)}
                history.append(record)
                bar.set_postfix(distortion=f"{record['val_distortion']:.4f}")
                if best.update(model, record["val_distortion"], epoch):
                    break
    finally:
        model.requires_grad_(True)
        best.restore(model)
        model.eval()
    return history
