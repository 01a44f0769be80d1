"""Forecast and detect on Spark, Dask (or any fugue engine) data frames, one partition of whole series at a time.

The same stateless entry points as for pandas: ``forecast(df, h)`` and ``detect(df)``. A pandas frame with no
``engine`` runs locally (:func:`tsheads.forecast`, :func:`tsheads.detect`); a Spark or Dask frame, or an
``engine`` (``"dask"``, ``"spark"``, a ``SparkSession``, a dask ``Client``), runs through `fugue
<https://fugue-tutorials.readthedocs.io>`_'s ``transform``, partitioned by series id with the ``coarse``
algorithm: each task gets many whole series and scores them in fixed-size batches. The model goes to the
workers as bytes (safetensors + JSON, never pickled model files) and is built once per worker process;
with no ``model`` the pretrained weights that ship inside the package are loaded there. Because inference
pads every batch to a fixed minimum size (:data:`tsheads.inference.MIN_BATCH_ROWS`), results equal the
pandas path exactly, however the series are partitioned.

Needs the ``distributed`` extra (``pip install 'tsheads[distributed]'``: fugue with dask and pyspark).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any, Optional, Sequence

import pandas as pd

from .errors import TsheadsError

__all__ = ["detect", "forecast"]

#: per worker process: estimators built from shipped model bytes, keyed by the bytes' digest
_MODELS: dict = {}


def _is_local(df, engine) -> bool:
    return engine is None and isinstance(df, (pd.DataFrame, pd.Series))


def _fugue():
    try:
        import fugue.api as fa
    except ImportError as err:
        raise TsheadsError("distributed forecast/detect need fugue: pip install 'tsheads[distributed]'") from err
    return fa


class _Shipped:
    """A fitted forecaster as the files its ``save`` writes, so workers rebuild it without unpickling a model.

    ``__uuid__`` gives fugue the digest, so it does not hash the megabytes of weights byte by byte.
    """

    def __init__(self, model):
        with tempfile.TemporaryDirectory() as folder:
            model.save(Path(folder) / "model")
            self.files = {p.suffix: p.read_bytes() for p in Path(folder).iterdir()}
        self.kind = type(model).__name__
        self.digest = hashlib.sha256(b"".join(self.files[k] for k in sorted(self.files))).hexdigest()

    def __uuid__(self) -> str:
        return self.digest


def _cached(key, build):
    """``build()`` once per worker process and key; later tasks on the same worker reuse the result."""
    if key not in _MODELS:
        _MODELS[key] = build()
    return _MODELS[key]


def _params_key(kind: str, params: dict) -> tuple:
    return (kind, tuple(sorted((k, repr(v)) for k, v in params.items())))


def _rebuild(shipped: _Shipped):
    """A shipped forecaster, loaded from its bytes through its class's ``load`` (no unpickling)."""
    from .estimators.wta import WTAForecaster
    from .estimators.zero_shot import ZeroShotForecaster

    kinds = {"ZeroShotForecaster": ZeroShotForecaster, "WTAForecaster": WTAForecaster}
    with tempfile.TemporaryDirectory() as folder:
        for suffix, data in shipped.files.items():
            (Path(folder) / f"model{suffix}").write_bytes(data)
        return kinds[shipped.kind].load(Path(folder) / "model")


def _forecast_partition(frame: pd.DataFrame, spec: dict) -> pd.DataFrame:
    from .estimators.zero_shot import ZeroShotForecaster

    shipped, params = spec["shipped"], spec["params"]
    model = (_cached(_params_key("pretrained", params), lambda: ZeroShotForecaster(**params)) if shipped is None
             else _cached(shipped.digest, lambda: _rebuild(shipped)))
    out = model.predict(spec["h"], level=spec["level"], quantiles=spec["quantiles"], df=frame, **spec["columns"],
                        freq=spec["freq"])
    return out[spec["names"]]


def _detect_partition(frame: pd.DataFrame, spec: dict) -> pd.DataFrame:
    from .estimators.anomaly import TriangulationDetector

    params = spec["params"]
    detector = _cached(_params_key("detector", params), lambda: TriangulationDetector(**params))
    out = detector.detect(frame, fit_fraction=spec["fit_fraction"], **spec["columns"], **spec["outputs"])
    return out[spec["names"]]


def _run(df, fn, spec: dict, schema: str, id_col: str, engine, num_partitions: Optional[int]):
    fa = _fugue()
    partition: dict[str, Any] = {"by": [id_col], "algo": "coarse"}
    if num_partitions is not None:
        partition["num"] = int(num_partitions)
    return fa.transform(df, fn, schema=schema, params={"spec": spec}, partition=partition, engine=engine)


def _field(schema, column: str):
    """The pyarrow field of ``column`` in a fugue schema, or a clear error."""
    for field in schema.fields:
        if field.name == column:
            return field
    raise TsheadsError(f"the data frame has no column {column!r} (columns: {schema.names})")


def _output_schema(fields: list, added: dict):
    """A fugue schema: the given input fields, then ``added`` columns of the given pyarrow types."""
    import pyarrow as pa
    from triad import Schema

    return Schema([*fields, *(pa.field(name, kind) for name, kind in added.items())])


def forecast(df, h: int, *, model=None, engine=None, level: Optional[Sequence[float]] = None,
             quantiles: Optional[Sequence[float]] = None, id_col: str = "unique_id", time_col: str = "ds",
             target_col: str = "y", freq=None, num_partitions: Optional[int] = None, **params):
    """Forecast every series of a pandas, Spark or Dask long frame.

    Parameters
    ----------
    df : pandas, Spark or Dask DataFrame
        Long frame (``id_col``, ``time_col``, ``target_col``).
    h : int
        Steps to forecast.
    model : ZeroShotForecaster or WTAForecaster, optional
        A fitted (e.g. fine-tuned) forecaster to use; default: zero-shot with the shipped weights.
    engine : optional
        fugue engine: ``"dask"``, ``"spark"``, a ``SparkSession``, a dask ``Client``; default: the one ``df``
        belongs to (pandas: local).
    level, quantiles : sequence of float, optional
        Interval levels (percent) and quantile levels, as in ``predict``.
    id_col, time_col, target_col : str
        Column names.
    freq : str or int, optional
        Frequency when it cannot be inferred per partition.
    num_partitions : int, optional
        Physical partitions for the engine to use.
    **params
        :class:`~tsheads.ZeroShotForecaster` parameters when ``model`` is None (e.g. ``context_length``).

    Returns
    -------
    DataFrame of the input's kind
        ``h`` rows per series: id, time, the point forecast and the band columns. Row order is not defined
        on a distributed engine; sort by id and time to compare.
    """
    from .estimators.base import check_positive_int
    from .forecast_columns import band_columns, check_levels, check_quantiles

    if _is_local(df, engine):
        if model is not None:
            return model.predict(h, level=level, quantiles=quantiles, df=df, id_col=id_col, time_col=time_col,
                                 target_col=target_col, freq=freq)
        from .estimators.zero_shot import forecast as local_forecast

        return local_forecast(df, h, level=level, quantiles=quantiles, id_col=id_col, time_col=time_col,
                              target_col=target_col, freq=freq, **params)
    if model is not None and params:
        raise TsheadsError(f"pass either a fitted model or ZeroShotForecaster parameters, not both: {sorted(params)}")
    h = check_positive_int(h, "h")
    level, quantiles = check_levels(level), check_quantiles(quantiles)
    if model is None:
        from .estimators.zero_shot import ZeroShotForecaster

        ZeroShotForecaster(**params)._check_params()  # bad settings fail here, not in a worker
        name = params.get("alias") or ZeroShotForecaster.default_alias
    else:
        name = model.model_name
    bands = band_columns(name, level, quantiles, [None] * (2 * len(level) + len(quantiles)))  # names, in order
    names = [id_col, time_col, name, *bands]
    import pyarrow as pa

    schema = _fugue().get_schema(df)
    _field(schema, target_col)
    out_schema = _output_schema([_field(schema, id_col), _field(schema, time_col)],
                                {n: pa.float64() for n in names[2:]})
    spec = {"h": h, "level": level, "quantiles": quantiles, "freq": freq, "names": names, "params": params,
            "shipped": None if model is None else _Shipped(model),
            "columns": {"id_col": id_col, "time_col": time_col, "target_col": target_col}}
    return _run(df, _forecast_partition, spec, out_schema, id_col, engine, num_partitions)


def detect(df, *, engine=None, fit_fraction: Optional[float] = None, id_col: str = "unique_id",
           time_col: str = "ds", target_col: str = "y", score_col: str = "anomaly_score",
           flag_col: str = "is_anomaly", threshold_col: Optional[str] = None, num_partitions: Optional[int] = None,
           **params):
    """Anomaly scores and flags for every series of a pandas, Spark or Dask long frame.

    Parameters
    ----------
    df : pandas, Spark or Dask DataFrame
        Long frame (``id_col``, ``time_col``, ``target_col``); other columns are carried through.
    engine : optional
        fugue engine, as in :func:`forecast`.
    fit_fraction : float, optional
        Each series' detector learns normal behaviour from its first ``fit_fraction`` of rows (default: all).
    id_col, time_col, target_col : str
        Column names.
    score_col, flag_col : str
        Names of the added score and 0/1 flag columns.
    threshold_col : str, optional
        Also add each series' flag threshold under this name.
    num_partitions : int, optional
        Physical partitions for the engine to use.
    **params
        :class:`~tsheads.TriangulationDetector` parameters (e.g. ``contamination``).

    Returns
    -------
    DataFrame of the input's kind
        The rows with one ``score_<head>`` column per head, ``score_col``, ``flag_col`` (and ``threshold_col``).
    """
    from .estimators.anomaly import TriangulationDetector
    from .estimators.anomaly import detect as local_detect

    outputs = {"score_col": score_col, "flag_col": flag_col, "threshold_col": threshold_col}
    if _is_local(df, engine):
        return local_detect(df, fit_fraction=fit_fraction, id_col=id_col, time_col=time_col, target_col=target_col,
                            **outputs, **params)
    detector = TriangulationDetector(**params)
    detector._min_length()  # bad settings fail here, not in a worker
    detector._check_contamination()
    import pyarrow as pa

    schema = _fugue().get_schema(df)
    _field(schema, target_col)
    added = [*detector._extra_columns(), score_col, flag_col, *([threshold_col] if threshold_col else [])]
    clash = [c for c in added if c in schema.names]
    if clash:
        raise TsheadsError(f"output column(s) {clash} would overwrite columns of df; pass score_col=/flag_col=")
    types = {c: pa.float64() for c in added}
    types[flag_col] = pa.int64()
    out_schema = _output_schema(list(schema.fields), types)
    spec = {"fit_fraction": fit_fraction, "params": params, "outputs": outputs, "names": [*schema.names, *added],
            "columns": {"id_col": id_col, "time_col": time_col, "target_col": target_col}}
    return _run(df, _detect_partition, spec, out_schema, id_col, engine, num_partitions)
