"""Embedding quality: how well an embedding finds the same series again after it was perturbed."""

from __future__ import annotations

import numpy as np


def retrieval_accuracy(queries: np.ndarray, keys: np.ndarray) -> float:
    """Share of queries whose nearest key (cosine similarity) is the key in the same row.

    Row ``i`` of ``queries`` and of ``keys`` embed two views of one series (say, the series and a scaled,
    shifted, noisy copy); every other key is a distractor. 1.0 means every view found its own series;
    chance is ``1 / len(keys)``.

    Parameters
    ----------
    queries : numpy.ndarray
        ``(n, d)`` embeddings of the perturbed views.
    keys : numpy.ndarray
        ``(n, d)`` embeddings of the originals, row-aligned with ``queries``.

    Returns
    -------
    float
        Top-1 retrieval accuracy in [0, 1].
    """
    q, k = np.asarray(queries, dtype=float), np.asarray(keys, dtype=float)
    if q.ndim != 2 or q.shape != k.shape or len(q) == 0:
        raise ValueError(f"queries and keys must be two non-empty (n, d) arrays of one shape, got {q.shape} "
                         f"and {k.shape}")
    q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    k = k / np.maximum(np.linalg.norm(k, axis=1, keepdims=True), 1e-12)
    return float(np.mean((q @ k.T).argmax(axis=1) == np.arange(len(q))))
