"""Winner-takes-all multi-hypothesis forecasting on the dual-space encoder (after TimeMCL, ICML 2025).

``K`` hypothesis heads each predict the whole horizon; ``K`` score heads say how likely each one is.
TimeMCL rolls an LSTM out ``K`` times; here the heads read the encoder's tokens once and predict all
steps directly, so inference costs one forward pass. For several channels a hypothesis is a joint
trajectory: the channels are encoded independently (as in pretraining), their head features are mixed
through a channel mean, and one set of scores is shared by all channels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import NamedTuple, Optional

import torch
from torch import nn

from ..errors import WeightsError
from .anchors import anchor_path
from .config import EncoderConfig
from .encoder import DualSpaceEncoder
from .losses import SCORE_KINDS, score_probabilities
from .model import DualSpaceModel, over_outputs
from .scaling import Scale, denormalise


@dataclass(frozen=True)
class WTAConfig:
    """The encoder's shape plus the horizon and number of hypotheses of the WTA heads."""

    encoder: EncoderConfig
    horizon: int = 24
    n_hypotheses: int = 8
    season_length: int = 0  # > 0: hypotheses are offsets from an anchor path (tsheads.nn.anchors); > 1: seasonal
    scores: str = "softmax"  # how score logits become weights (tsheads.nn.losses.score_probabilities)
    anchor_alpha: Optional[float] = 1.0  # with season_length 1: the anchor's level smoothing (1: the last value;
    # None: fitted per context, tsheads.nn.anchors.fitted_level)
    anchor_beta: float = 0.0   # ... and the share of the fitted slope added per step (0: flat)

    def __post_init__(self):
        if not isinstance(self.encoder, EncoderConfig):
            raise WeightsError(f"encoder must be an EncoderConfig, got {type(self.encoder).__name__}")
        for name in ("horizon", "n_hypotheses", "season_length"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "season_length" else 1):
                raise WeightsError(f"{name} must be a {'non-negative' if name == 'season_length' else 'positive'} "
                                   f"integer, got {value!r}")
        alpha, beta = self.anchor_alpha, self.anchor_beta
        if alpha is not None and not (_is_number(alpha) and 0.0 < alpha <= 1.0):
            raise WeightsError(f"anchor_alpha must be None or a number in (0.0, 1.0], got {alpha!r}")
        if not (_is_number(beta) and 0.0 <= beta <= 2.0):
            raise WeightsError(f"anchor_beta must be a number in [0.0, 2.0], got {beta!r}")
        if self.scores not in SCORE_KINDS:
            raise WeightsError(f"scores must be one of {SCORE_KINDS}, got {self.scores!r}")
        if self.season_length > self.encoder.context_length:
            raise WeightsError(f"season_length {self.season_length} exceeds the context {self.encoder.context_length}")

    @property
    def context_length(self) -> int:
        return self.encoder.context_length

    def to_dict(self) -> dict:
        d = asdict(self)
        d["encoder"] = self.encoder.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "WTAConfig":
        if not isinstance(d, dict):
            raise WeightsError(f"the WTA config must be a JSON object, got {type(d).__name__}")
        unknown = sorted(set(d) - {f.name for f in fields(cls)})
        if unknown:
            raise WeightsError(f"unknown WTA config keys {unknown}; the file was written by another version")
        if "encoder" not in d:
            raise WeightsError("the WTA config has no 'encoder' section")
        return cls(**{**d, "encoder": EncoderConfig.from_dict(d["encoder"])})


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class HypothesisOutput(NamedTuple):
    hypotheses: torch.Tensor  # (batch, channels, K, horizon), scaled space
    logits: torch.Tensor      # (batch, K): score-head logits, shared by the channels of a sample
    scale: Scale              # per-channel input scaling, to map hypotheses back to data units


class WTAHeads(nn.Module):
    """Token features -> ``K`` whole-horizon hypotheses and ``K`` scores.

    Registers and time-patch tokens are reduced and flattened as in the pretrained forecast head, then a
    shared hidden layer feeds one linear map per hypothesis (stored as one ``K * horizon`` layer) and
    the score layer. ``channel_mix`` adds a projection of the channel mean to every channel's features;
    it starts at zero, so a univariate model is unaffected and a multivariate one starts channel-wise.
    """

    def __init__(self, config: WTAConfig):
        super().__init__()
        enc = config.encoder
        self.config = config
        n_in = (enc.n_registers + enc.n_patches) * enc.head_token_dim
        self.reduce = nn.Linear(enc.d_model, enc.head_token_dim)
        self.hidden = nn.Linear(n_in, enc.head_hidden)
        self.act = nn.GELU()
        self.dropout = nn.Dropout(enc.dropout)
        self.channel_mix = nn.Linear(enc.head_hidden, enc.head_hidden)
        self.hypotheses = nn.Linear(enc.head_hidden, config.n_hypotheses * config.horizon)
        self.scores = nn.Linear(enc.head_hidden, config.n_hypotheses)
        for layer in (self.channel_mix, self.scores):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        enc, cfg = self.config.encoder, self.config
        used = tokens[:, :, :enc.n_registers + enc.n_patches]
        h = self.act(self.hidden(self.reduce(used).flatten(-2)))  # (B, C, hidden)
        h = h + self.channel_mix(h.mean(dim=1, keepdim=True))
        h = self.dropout(h)
        hyp = self.hypotheses(h).view(*h.shape[:2], cfg.n_hypotheses, cfg.horizon)
        logits = self.scores(h).mean(dim=1)
        return hyp, logits

    def init_from_forecast_head(self, head, offsets: bool = False) -> None:
        """Start from a pretrained quantile forecast head: hypothesis ``k`` = quantile ``(k + 0.5) / K``
        (interpolated between the trained levels).

        The hypotheses then begin spread over the pretrained predictive distribution instead of at one
        random point, which keeps heads from collapsing onto the same mode early on. With ``offsets``
        (hypotheses added to an anchor path) they start at the quantiles' offsets from the median, so
        the spread is kept and the level comes from the anchor. Steps beyond the pretrained horizon keep
        their random initialisation.
        """
        cfg = self.config
        first, last = head.mlp[0], head.mlp[-1]
        if first.weight.shape != self.hidden.weight.shape or head.reduce.weight.shape != self.reduce.weight.shape:
            raise ValueError("the forecast head's shape does not match these WTA heads")
        levels = torch.tensor(head.cfg.quantiles, dtype=torch.float64)
        steps = min(cfg.horizon, head.cfg.horizon)
        with torch.no_grad():
            self.reduce.load_state_dict(head.reduce.state_dict())
            self.hidden.load_state_dict(first.state_dict())
            w = last.weight.view(1 + len(levels), head.cfg.horizon, -1)
            b = last.bias.view(1 + len(levels), head.cfg.horizon)
            hw = self.hypotheses.weight.view(cfg.n_hypotheses, cfg.horizon, -1)
            hb = self.hypotheses.bias.view(cfg.n_hypotheses, cfg.horizon)
            median = _level_mix(levels, 0.5)
            for k in range(cfg.n_hypotheses):
                mix = _level_mix(levels, (k + 0.5) / cfg.n_hypotheses)
                hw[k, :steps] = _mixed(w, mix)[:steps] - (_mixed(w, median)[:steps] if offsets else 0)
                hb[k, :steps] = _mixed(b, mix)[:steps] - (_mixed(b, median)[:steps] if offsets else 0)


def _level_mix(levels: torch.Tensor, target: float) -> list[tuple[int, float]]:
    """Output rows (1 + quantile index) and weights that interpolate the quantile head at ``target``.

    Interpolating, rather than taking the nearest trained level, keeps every head distinct for any K.
    """
    target = float(min(max(target, levels[0]), levels[-1]))
    i = min(int(torch.searchsorted(levels, torch.tensor(target, dtype=levels.dtype), right=True)) - 1, len(levels) - 2)
    a = (target - float(levels[i])) / float(levels[i + 1] - levels[i])
    return [(1 + i, 1.0 - a), (2 + i, a)]


def _mixed(rows: torch.Tensor, mix: list[tuple[int, float]]) -> torch.Tensor:
    return sum(weight * rows[row] for row, weight in mix)


class WTAModel(nn.Module):
    """Dual-space encoder + WTA heads; ``forward`` is the training view, ``predict`` returns data units."""

    def __init__(self, config: WTAConfig):
        super().__init__()
        self.config = config
        self.encoder = DualSpaceEncoder(config.encoder)
        self.heads = WTAHeads(config)

    @classmethod
    def from_pretrained(cls, base: DualSpaceModel, horizon: int, n_hypotheses: int, season_length: int = 0,
                        scores: str = "softmax", anchor_alpha: Optional[float] = 1.0,
                        anchor_beta: float = 0.0) -> "WTAModel":
        """Encoder weights copied from ``base``; heads started from its forecast head."""
        model = cls(WTAConfig(base.config, horizon, n_hypotheses, season_length, scores, anchor_alpha, anchor_beta))
        model.encoder.load_state_dict(base.encoder.state_dict())
        model.heads.init_from_forecast_head(base.forecast_head, offsets=season_length > 0)
        return model

    def anchor(self, z: torch.Tensor, observed: torch.Tensor) -> torch.Tensor:
        """Anchor path ``(..., horizon)`` of contexts ``(..., T)`` (:func:`tsheads.nn.anchors.anchor_path`
        with this model's period, level smoothing and slope share); unobserved points hold the mean."""
        cfg = self.config
        return anchor_path(z, observed, cfg.horizon, cfg.season_length, cfg.anchor_alpha, cfg.anchor_beta)

    def set_anchor(self, alpha: Optional[float], beta: float) -> None:
        """Set the level-and-trend anchor's shape (chosen from the training windows before training)."""
        self.config = replace(self.config, anchor_alpha=None if alpha is None else float(alpha),
                              anchor_beta=float(beta))

    def forward(self, x: torch.Tensor, observed: torch.Tensor) -> HypothesisOutput:
        enc = self.encoder(x, observed)
        hyp, logits = self.heads(enc.tokens)
        if self.config.season_length:
            hyp = hyp + self.anchor(enc.z, observed).unsqueeze(2)
        return HypothesisOutput(hyp, logits, enc.scale)

    @staticmethod
    def in_data_units(out: HypothesisOutput) -> torch.Tensor:
        """The hypotheses of a forward pass mapped back from the scaled space: ``(B, C, K, horizon)``."""
        return denormalise(out.hypotheses, over_outputs(out.scale))

    def predict(self, x: torch.Tensor, observed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Hypotheses ``(B, C, K, horizon)`` in data units and their probabilities ``(B, K)``."""
        out = self.forward(x, observed)
        return self.in_data_units(out), self.probabilities(out.logits.float())

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """Hypothesis weights ``(..., K)`` summing to 1 from score logits, as the score heads were trained."""
        return score_probabilities(logits, self.config.scores)

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
