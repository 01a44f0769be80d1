"""The pretraining loop: masked reconstruction in time and FFT space plus the forecast loss.

Checkpoints (safetensors tensors + JSON state, never pickle) are written every ``checkpoint_every``
steps and the run resumes from them; the loss curve goes to ``log.jsonl`` in the run folder.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ..nn.config import EncoderConfig
from ..nn.losses import LossParts, masked_objective, register_contrastive
from ..nn.masking import hybrid_mask
from ..nn.model import DualSpaceModel
from ..nn.weights import save_model
from .batches import IndexedBatches
from .corpus import CorpusSampler


@dataclass
class TrainConfig:
    steps: int = 8000
    batch_size: int = 256
    learning_rate: float = 2e-3
    weight_decay: float = 0.01
    warmup: int = 200
    unmasked_fraction: float = 0.4
    real_fraction: float = 0.3
    checkpoint_every: int = 250
    seed: int = 0
    bf16: bool = True
    register_weight: float = 0.0     # v2: weight of the semantic-register contrastive loss
    register_fraction: float = 0.25  # share of a batch that also gets a perturbed view for that loss
    aggregate_fraction: float = 0.0  # v2: share of real windows drawn from the series summed over k steps
    unknown_fraction: float = 0.0    # v2: share of real windows labelled with the "unknown" resolution
    indexed_batches: bool = False    # batch i drawn from seed (seed, i): needed for workers (see .batches)


def _lr(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.learning_rate * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.learning_rate * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def _save_checkpoint(run: Path, model, opt, step, sampler, gen):
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    names = dict(model.named_parameters())
    index = {id(p): n for n, p in names.items()}
    for group in opt.param_groups:
        for p in group["params"]:
            for k, v in opt.state.get(p, {}).items():
                tensors[f"opt.{index[id(p)]}.{k}"] = torch.as_tensor(v).detach().cpu().reshape(-1) if k == "step" \
                    else v.detach().cpu().contiguous()
    tensors["torch_rng"] = gen.get_state()
    tensors["torch_global_rng"] = torch.get_rng_state()  # dropout draws from the global generator
    save_file(tensors, str(run / "checkpoint.tmp"))
    state = {"step": step, "numpy_rng": sampler.rng.bit_generator.state}
    (run / "checkpoint.json.tmp").write_text(json.dumps(state))
    (run / "checkpoint.tmp").replace(run / "checkpoint.safetensors")
    (run / "checkpoint.json.tmp").replace(run / "checkpoint.json")


#: what a run folder needs to resume exactly (the log keeps the curve going)
CHECKPOINT_FILES = ("checkpoint.safetensors", "checkpoint.json", "config.json", "log.jsonl")


def restore_checkpoint(kept, run_dir) -> bool:
    """Copy a kept checkpoint (a folder with :data:`CHECKPOINT_FILES`) into ``run_dir`` if it holds none.

    Run folders are not in git and a later session may start on a fresh machine; a checkpoint committed at
    the end of a session continues the same run there. Returns whether anything was copied.
    """
    import shutil

    kept, run = Path(kept), Path(run_dir)
    if (run / "checkpoint.json").exists():
        return False
    missing = [name for name in CHECKPOINT_FILES[:3] if not (kept / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{kept} holds no checkpoint to resume from (missing {', '.join(missing)})")
    run.mkdir(parents=True, exist_ok=True)
    for name in CHECKPOINT_FILES:
        if (kept / name).is_file():
            shutil.copy(kept / name, run / name)
    return True


def _load_checkpoint(run: Path, model, opt, sampler, gen) -> int:
    tensors = load_file(str(run / "checkpoint.safetensors"))
    state = json.loads((run / "checkpoint.json").read_text())
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    params = dict(model.named_parameters())
    for name, p in params.items():
        st = {k.split(".")[-1]: v for k, v in tensors.items() if k.startswith(f"opt.{name}.")}
        if st:
            st = {k: (v.reshape(()) if k == "step" else v.to(p.device)) for k, v in st.items()}
            opt.state[p] = st
    gen.set_state(tensors["torch_rng"])
    if "torch_global_rng" in tensors:
        torch.set_rng_state(tensors["torch_global_rng"])
    sampler.rng.bit_generator.state = state["numpy_rng"]
    return int(state["step"])


def batch_losses(model, b, gen: torch.Generator, train: TrainConfig, quantiles: torch.Tensor, device) -> LossParts:
    """Hide points of a batch with hybrid masks (some windows stay whole) and score every head on it."""
    cfg = model.config
    x, obs = torch.from_numpy(b.x), torch.from_numpy(b.observed)
    hidden = hybrid_mask(x.shape, cfg.patch_length, generator=gen) & obs
    keep = torch.rand(x.shape[0], 1, 1, generator=gen) < train.unmasked_fraction
    hidden = hidden & ~keep
    visible = obs & ~hidden
    # rare windows with (almost) nothing visible teach nothing: keep at least 2 points
    too_few = visible.sum(-1, keepdim=True) < 2
    hidden, visible = hidden & ~too_few, torch.where(too_few, obs, visible)
    x, obs, visible, hidden = (t.to(device) for t in (x, obs, visible, hidden))
    future, fobs = torch.from_numpy(b.future).to(device), torch.from_numpy(b.future_observed).to(device)
    resolution = torch.from_numpy(b.resolution).to(device) if cfg.n_resolutions else None
    with torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16, enabled=train.bf16):
        out = model(x, visible, resolution)
    parts = masked_objective(_float(out), x, obs, hidden, future, fobs, quantiles)
    if not train.register_weight:
        return parts
    n = max(2, int(len(x) * train.register_fraction))
    vx, vobs = perturbed_views(x[:n], obs[:n], gen, max_shift=cfg.patch_length)
    with torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16, enabled=train.bf16):
        view = model.encoder(vx, vobs, None if resolution is None else resolution[:n])
    r = cfg.n_registers
    nce = register_contrastive(out.encoded.tokens[:n, 0, :r].flatten(1), view.tokens[:, 0, :r].flatten(1))
    return parts._replace(total=parts.total + train.register_weight * nce, register_nce=nce)


def perturbed_views(x: torch.Tensor, observed: torch.Tensor, gen: torch.Generator, max_shift: int,
                    noise: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """The same windows rescaled, offset, ended up to ``max_shift`` points earlier and with added noise.

    The semantic registers should not change under these (see :func:`tsheads.nn.losses.register_contrastive`).
    """
    b = x.shape[0]
    w = observed.to(x.dtype)
    mean = (x * w).sum(-1, keepdim=True) / w.sum(-1, keepdim=True).clamp_min(1)
    std = (((x - mean) ** 2 * w).sum(-1, keepdim=True) / w.sum(-1, keepdim=True).clamp_min(1)).sqrt()
    scale = torch.exp(torch.empty(b, 1, 1).uniform_(-2, 2, generator=gen)).to(x.device)
    offset = (torch.randn(b, 1, 1, generator=gen).to(x.device) * 3 * std.clamp_min(1e-6))
    jitter = torch.randn(x.shape, generator=gen).to(x.device) * noise * std
    vx, vobs = (x + jitter) * scale + offset, observed.clone()
    shifts = torch.randint(0, max_shift + 1, (b,), generator=gen).tolist()
    for i, s in enumerate(shifts):
        if s:
            vx[i, :, s:], vobs[i, :, s:] = vx[i, :, :-s].clone(), observed[i, :, :-s]
            vobs[i, :, :s] = False
    return torch.where(vobs, vx, torch.zeros_like(vx)), vobs


def pretrain(run_dir, model_config: EncoderConfig, train: TrainConfig, real: list, minutes: float = None,
             stop_after: int = None, verbose: bool = True, init=None, workers: int = 0) -> Path:
    """Train (or resume) in ``run_dir``; writes ``final.safetensors``/``final.json`` when ``train.steps`` is reached.

    ``minutes`` and ``stop_after`` (steps in this call) end the call early with a checkpoint; calling
    again with the same configs continues exactly where it stopped. ``init`` (a model file stem) starts a
    new run from those weights instead of a random initialisation (a fresh optimiser and schedule).
    ``workers`` processes draw batches ahead when ``train.indexed_batches`` is on (any count gives the same run).
    """
    from tqdm.auto import tqdm

    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    config = {"model": model_config.to_dict(), "train": dict(train.__dict__),
              "init": None if init is None else str(init)}
    resuming = (run / "checkpoint.json").exists()
    if resuming and (run / "config.json").exists():
        before = json.loads((run / "config.json").read_text())
        # settings added since the run began count as their defaults
        before["train"] = {**json.loads(json.dumps(TrainConfig().__dict__)), **before.get("train", {})}
        if before != json.loads(json.dumps(config)):
            raise ValueError(f"{run} holds a checkpoint made with other settings ({run / 'config.json'}); "
                             "resume with the same settings or use a new run folder")
    (run / "config.json").write_text(json.dumps(config, indent=1))
    torch.manual_seed(train.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = DualSpaceModel(model_config).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=train.learning_rate, weight_decay=train.weight_decay)
    sampler = corpus_sampler(model_config, train, real, seed=train.seed)
    gen = torch.Generator().manual_seed(train.seed)
    if init is not None and not resuming:
        from ..nn.weights import load_model

        model.load_state_dict(load_model(init).state_dict())
    step = _load_checkpoint(run, model, opt, sampler, gen) if resuming else 0
    if workers and not train.indexed_batches:
        raise ValueError("workers need indexed_batches=True (batches drawn by step index)")
    batches = IndexedBatches(sampler, train.seed, train.batch_size, step, workers) if train.indexed_batches else None
    quantiles = torch.tensor(model_config.quantiles, device=device)
    started = time.time()
    log = open(run / "log.jsonl", "a")
    bar = tqdm(total=train.steps, initial=step, disable=not verbose, desc="pretrain")
    model.train()
    first = step
    while step < train.steps:
        if minutes is not None and time.time() - started > 60 * minutes:
            _save_checkpoint(run, model, opt, step, sampler, gen)
            break
        if stop_after is not None and step - first >= stop_after:
            _save_checkpoint(run, model, opt, step, sampler, gen)
            break
        for g in opt.param_groups:
            g["lr"] = _lr(step, train)
        batch = batches.get() if batches is not None else sampler.batch(train.batch_size)
        parts = batch_losses(model, batch, gen, train, quantiles, device)
        opt.zero_grad(set_to_none=True)
        parts.total.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        if torch.isfinite(grad_norm):  # a non-finite batch must not poison the weights of a long run
            opt.step()
        step += 1
        bar.update(1)
        if step % 25 == 0 or step == train.steps:
            rec = {"step": step, "lr": _lr(step - 1, train), "elapsed_s": round(time.time() - started, 1)}
            rec.update({k: round(float(v.detach()), 5) for k, v in parts._asdict().items()})
            log.write(json.dumps(rec) + "\n")
            log.flush()
            bar.set_postfix(loss=f"{rec['total']:.3f}", fc=f"{rec['forecast_mse']:.3f}")
        if step % train.checkpoint_every == 0 or step == train.steps:
            _save_checkpoint(run, model, opt, step, sampler, gen)
    bar.close()
    log.close()
    if batches is not None:
        batches.close()
    if step >= train.steps:
        meta = {"steps": step, "train": dict(train.__dict__),
                "recipe": "python -m tsheads.pretrain (see datasets/pretraining.md)"}
        save_model(model.cpu(), run / "final", meta=meta)
    return run


def corpus_sampler(model_config: EncoderConfig, train: TrainConfig, real, seed: int) -> CorpusSampler:
    """The window sampler of a run; ``real`` is a list of arrays, or a :class:`~.mix.Corpus` (v2)."""
    kw = {}
    if hasattr(real, "series"):
        kw = {"real_steps": real.steps, "real_weights": real.weights}
        real = real.series
    return CorpusSampler(model_config.context_length, model_config.horizon, real, train.real_fraction, seed=seed,
                         aggregate_fraction=train.aggregate_fraction, unknown_fraction=train.unknown_fraction, **kw)


def _float(out):
    """Loss maths in float32 whatever the autocast dtype of the forward pass."""
    return type(out)(out.encoded, *(t.float() for t in out[1:]))
