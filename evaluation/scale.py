"""Scale: peak memory of zero-shot forecasting as the number of series grows, and throughput on Dask / Spark.

Memory: N short series (64 hourly points each) are written to a Parquet file and forecast with the
command line (``tsheads forecast in.parquet -H 12 -o out.parquet``) in a fresh process per run; that
process's peak resident memory (``VmHWM``) is the number. Streaming (the default, ``--chunk-rows 1000000``) reads
and writes whole series in pieces; ``--chunk-rows 0`` reads the file whole, as a pandas user would.

Throughput: the same series forecast with ``tsheads.forecast`` on a pandas frame in this process (torch
using both cores), with a Dask ``LocalCluster`` of 2 single-threaded worker processes, and with Spark
``local[2]``, all through ``tsheads.distributed.forecast``; series/s over the wall time of the call
(engine start-up excluded, data already in the engine).

    python -m evaluation.scale [--quick] [--sizes 10000 100000 1000000] [--throughput-series 20000]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .common import base_parser, parameters, suite_main
from .report import Report, Timings, suite_command

SUITE = "scale"
LENGTH = 64
H = 12


def series_frame(n: int, length: int = LENGTH, seed: int = 0) -> pd.DataFrame:
    """``n`` random walks of ``length`` hourly points as a long frame, ids ``s0000000`` ... (sorted)."""
    rng = np.random.default_rng(seed)
    y = 100 + rng.standard_normal((n, length)).cumsum(axis=1)
    return pd.DataFrame({
        "unique_id": np.repeat(np.char.add("s", np.char.zfill(np.arange(n).astype(str), 7)), length),
        "ds": np.tile(pd.date_range("2024-01-01", periods=length, freq="h").to_numpy(), n),
        "y": y.reshape(-1),
    })


def write_series(path: Path, n: int, block: int = 100_000) -> None:
    """Write the frame in blocks of series so the generator itself never holds a million series."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    for start in range(0, n, block):
        part = series_frame(min(block, n - start), seed=start)
        part["unique_id"] = np.char.add("s", np.char.zfill((np.arange(len(part)) // LENGTH + start).astype(str), 7))
        table = pa.Table.from_pandas(part, preserve_index=False)
        writer = writer or pq.ParquetWriter(str(path), table.schema)
        writer.write_table(table)
    writer.close()


# VmHWM (this process's own peak), not getrusage's ru_maxrss: Linux carries ru_maxrss over fork, so a child
# of a big parent would report the parent's size
_CHILD = """
import json, re, sys, time
from pathlib import Path
from tsheads.cli import main
start = time.perf_counter()
code = main(sys.argv[1:])
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)) / 1024
print(json.dumps({"code": code, "seconds": time.perf_counter() - start, "peak_rss_mib": peak}), file=sys.stderr)
"""


def measure_cli(argv: list[str]) -> dict:
    """Run ``tsheads ARGV`` in a fresh interpreter; its exit code, seconds and peak RSS (MiB)."""
    done = subprocess.run([sys.executable, "-c", _CHILD, *argv], capture_output=True, text=True)
    lines = [line for line in done.stderr.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"code": done.returncode, "error": done.stderr[-500:]}
    return json.loads(lines[-1])


def memory_table(sizes: list[int], whole_limit: int, timings: Timings, notes: list) -> pd.DataFrame:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path, out = Path(tmp) / f"in{n}.parquet", Path(tmp) / "out.parquet"
            with timings.time(f"write {n} series"):
                write_series(path, n)
            modes = [("streamed (default)", [])]
            if n <= whole_limit:
                modes.append(("whole file (--chunk-rows 0)", ["--chunk-rows", "0"]))
            for label, extra in modes:
                with timings.time(f"forecast {n} {label}"):
                    got = measure_cli(["forecast", str(path), "-H", str(H), "-o", str(out), "-q", *extra])
                if got.get("code") != 0:
                    notes.append(f"{n} series, {label}: failed ({got.get('error', '')[-200:]!r})")
                    continue
                written = len(pd.read_parquet(out, columns=["unique_id"]))
                rows.append({"series": n, "rows in": n * LENGTH, "mode": label,
                             "input MiB (parquet)": path.stat().st_size / 2**20, "peak RSS MiB": got["peak_rss_mib"],
                             "seconds": got["seconds"], "series/s": n / got["seconds"],
                             "rows out": written, "all series out": written == n * H})
                out.unlink(missing_ok=True)
            path.unlink()
    skipped = [n for n in sizes if n > whole_limit]
    if skipped:
        notes.append(f"The whole-file mode was not run for {skipped} series (--whole-limit {whole_limit}).")
    return pd.DataFrame(rows)


def throughput_table(n: int, timings: Timings, notes: list) -> pd.DataFrame:
    import torch

    from tsheads.distributed import forecast

    df = series_frame(n, length=128)
    rows = []
    forecast(df.iloc[: 16 * 128], H)  # load the weights before timing
    start = time.perf_counter()
    expected = forecast(df, H, level=[80])
    seconds = time.perf_counter() - start
    rows.append({"engine": f"pandas, one process (torch threads {torch.get_num_threads()})", "series": n,
                 "seconds": seconds, "series/s": n / seconds, "equal to pandas": True})
    key = ["unique_id", "ds"]
    expected = expected.sort_values(key).reset_index(drop=True)

    def same(frame) -> bool:
        frame = frame.astype({"unique_id": object}).assign(ds=lambda f: f["ds"].astype("datetime64[ns]"))
        frame = frame.sort_values(key).reset_index(drop=True)
        return bool(np.array_equal(frame.drop(columns=key).to_numpy(float), expected.drop(columns=key).to_numpy(float))
                    and frame[key].equals(expected[key]))

    try:
        import dask.dataframe as dd
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            ddf = dd.from_pandas(df, npartitions=8).persist()
            forecast(dd.from_pandas(df.iloc[: 16 * 128], npartitions=2), H, engine=client).compute()  # warm workers
            start = time.perf_counter()
            got = forecast(ddf, H, level=[80], engine=client).compute()
            seconds = time.perf_counter() - start
        rows.append({"engine": "Dask LocalCluster, 2 workers x 1 thread", "series": n, "seconds": seconds,
                     "series/s": n / seconds, "equal to pandas": same(got)})
    except ImportError as err:
        notes.append(f"Dask not measured: {err}")
    try:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        from pyspark.sql import SparkSession

        spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
                 .config("spark.sql.shuffle.partitions", "8").getOrCreate())
        sdf = spark.createDataFrame(df).repartition(8).cache()
        sdf.count()
        forecast(spark.createDataFrame(df.iloc[: 16 * 128]), H).toPandas()  # warm the Python workers
        start = time.perf_counter()
        got = forecast(sdf, H, level=[80]).toPandas()
        seconds = time.perf_counter() - start
        spark.stop()
        rows.append({"engine": "Spark local[2]", "series": n, "seconds": seconds, "series/s": n / seconds,
                     "equal to pandas": same(got)})
    except ImportError as err:
        notes.append(f"Spark not measured: {err}")
    table = pd.DataFrame(rows)
    table["vs pandas"] = table["series/s"] / table["series/s"].iloc[0]
    return table


def run(args) -> Report:
    timings = Timings()
    notes: list = []
    sizes = [200, 2000] if args.quick else args.sizes
    memory = memory_table(sizes, args.whole_limit, timings, notes)
    n_tp = 500 if args.quick else args.throughput_series
    with timings.time("throughput"):
        throughput = throughput_table(n_tp, timings, notes)
    notes += [
        f"Series of {LENGTH} hourly points, h={H}, intervals 80/95 (the CLI default); peak RSS of a fresh "
        "process that imports tsheads and torch and loads the model (about 400-500 MiB of that is the runtime).",
        "Throughput: series of 128 points, h=12, 80 % interval; on this 2-core machine the engines share the "
        "same two cores as the single process, so they can only add overhead; the point is exact equality and "
        "the scaling path, not a speed-up here.",
    ]
    return Report(
        suite=SUITE, title="Scale: memory as series grow, and distributed throughput (CPU)",
        command=suite_command(SUITE, args.argv), parameters=parameters(args, sizes_effective=sizes),
        tables={"Peak memory of `tsheads forecast` (Parquet in, Parquet out)": memory,
                "Throughput on engines (same 2 cores)": throughput},
        wall_times={k: round(v, 3) for k, v in timings.seconds.items()}, notes=notes,
        floatfmt={"Peak memory of `tsheads forecast` (Parquet in, Parquet out)": ".1f",
                  "Throughput on engines (same 2 cores)": ".2f"},
    )


def build_parser():
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000], help="series counts")
    p.add_argument("--whole-limit", type=int, default=100_000,
                   help="largest count also run with the whole file in memory (default 100000)")
    p.add_argument("--throughput-series", type=int, default=20_000, help="series for the throughput table")
    return p


def main(argv: list[str] | None = None) -> Report:
    return suite_main(build_parser, run, argv)


if __name__ == "__main__":
    main()
