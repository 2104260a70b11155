"""Chunks of a batch on a Dask cluster (the ``farm`` extra: ``dask[distributed]``).

``laika-fx batch IN OUT --scheduler tcp://HOST:8786`` (a running cluster) or
``--local-cluster N`` (N worker processes on this machine, bound to 127.0.0.1):

1. the analyze pass runs once, here, and writes the sidecars to OUT (as ``laika-fx
   analyze``; reused with ``--resume``);
2. each chunk of ``--chunk-size`` frames is one Dask task: a worker opens the shot, builds
   the plugins (compiled models are cached per worker process, so each worker compiles
   them once) and runs the chunk exactly as ``laika-fx batch --frames A-B --chunk-size N``
   would, reading the shared sidecars and writing its frames and its chunk report to OUT;
3. the chunk reports are merged into ``OUT/laika_fx_report.json``.

OUT and the input must be visible at the same paths on every worker (shared storage).
A chunk that raises is retried (``retries``); a worker that dies mid-chunk has its chunk
re-run by another worker (Dask's own rescheduling). A re-run is safe: outputs are renamed
into place only when complete, the stale temporary files of the chunk's frames are removed
first, and the same frame renders to the same bytes, so no partial or duplicate output
remains and the merged report counts each frame once.

Only :func:`run_on_dask` needs Dask; importing this module does not.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path

from .pipeline import (
    BatchError,
    BatchOptions,
    Cancel,
    Progress,
    run_analyze,
    run_batch,
    saved_mask_folders,
    write_shape_scripts,
)
from .plugins import PluginSpec, build_plugins
from .report import CHUNK_REPORTS, REPORT_NAME, chunk_report_name, merge_reports, write_report
from .sequence import Shot, format_frame_range, open_shot
from .shapes import ShapesError

__all__ = ["run_on_dask", "render_chunk", "job_template", "FarmError", "DEFAULT_CHUNK_SIZE"]

#: frames per Dask task when --chunk-size is not given
DEFAULT_CHUNK_SIZE = 10

_run_lock = threading.Lock()  # one chunk at a time per worker process (each uses its own threads)


class FarmError(Exception):
    """The farm run cannot start (Dask missing, scheduler unreachable): one line for the user."""


def render_chunk(source: str, output: str, frames: str, specs: Sequence[PluginSpec], options: dict,
                 max_pixels: int | None = None) -> dict:  # fmt: skip
    """Render one chunk on a worker: what ``laika-fx batch SOURCE OUTPUT --frames FRAMES
    --chunk-size N`` does. Returns the chunk's report."""
    from . import io

    with _run_lock, io.pixel_limit(max_pixels):
        shot = open_shot(source, frames=frames)
        plugins = build_plugins(specs)
        opts = BatchOptions(**{**options, "chunk": True})
        return run_batch(shot, output, plugins, opts, progress=Progress(), cancel=Cancel())


def _client(scheduler: str | None, local_cluster: int | None):
    from distributed import Client, LocalCluster

    if local_cluster:
        cluster = LocalCluster(n_workers=local_cluster, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)  # fmt: skip
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout="20s"), None
    except (OSError, TimeoutError) as exc:
        raise FarmError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None


def run_on_dask(
    shot: Shot,
    source: str,
    output: str | os.PathLike,
    specs: Sequence[PluginSpec],
    options: BatchOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    scheduler: str | None = None,
    local_cluster: int | None = None,
    retries: int = 2,
    max_pixels: int | None = None,
    progress: Progress | None = None,
    on_chunk: Callable[[dict], None] | None = None,
) -> dict:
    """Analyze here, render the chunks of ``shot.requested`` on Dask, merge the reports.

    ``source`` is the input as given on the command line (each worker opens it itself).
    Returns the merged report (also written to ``OUTPUT/laika_fx_report.json``).

    Raises
    ------
    FarmError
        If Dask is not installed or the scheduler cannot be reached.
    BatchError
        If the run cannot start (see :func:`~laika_fx.pipeline.run_batch`).
    """
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise FarmError("--scheduler/--local-cluster need the farm extra: pip install 'laika_fx[farm]'") from None
    plugins = build_plugins(specs)
    out = Path(output).resolve()
    # 1. the analysis, once, shared through OUTPUT (reused with --resume)
    run_analyze(shot, out, plugins, workers=options.workers, reuse=options.resume, progress=progress or Progress())
    frames = list(shot.requested)
    chunks = [frames[i : i + chunk_size] for i in range(0, len(frames), chunk_size)]
    opts = {k: v for k, v in asdict(replace(options, chunk=True)).items() if k != "chunk"}
    if opts.get("mask_overrides") is not None:
        opts["mask_overrides"] = str(opts["mask_overrides"])
    # 2. one task per chunk
    client, cluster = _client(scheduler, local_cluster)
    try:
        from distributed import as_completed

        futures = [
            client.submit(render_chunk, str(Path(source).resolve()), str(out), format_frame_range(chunk),
                          [(n, dict(s)) for n, s in specs], opts, max_pixels, retries=retries, pure=False,
                          key=f"laika-fx-chunk-{chunk[0]}-{chunk[-1]}-{os.getpid()}")  # fmt: skip
            for chunk in chunks
        ]
        for future in as_completed(futures):
            try:
                report = future.result()
            except BatchError:
                raise
            except Exception as exc:  # a chunk that failed every retry: its frames are not written
                report = {"frames_failed": [], "error": f"{type(exc).__name__}: {exc}"}
            if on_chunk is not None:
                on_chunk(report)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    # 3. one report, from the chunk reports on disk (a chunk re-run elsewhere wrote its own)
    import json

    folder = out / CHUNK_REPORTS
    names = {chunk_report_name(c) for c in chunks}
    reports = [json.loads((folder / n).read_text()) for n in sorted(names) if (folder / n).is_file()]
    missing = [c for c in chunks if chunk_report_name(c) not in {p.name for p in folder.glob("*.json")}]
    merged = merge_reports(reports) if reports else None
    if merged is None:
        raise BatchError("no chunk finished")
    for chunk in missing:  # chunks that never finished: their frames count as failed
        for n in chunk:
            merged["frames_failed"].append({"frame": n, "file": shot.path(n).name, "error": "chunk failed on the cluster"})
        merged["frames_total"] += len(chunk)
    merged["frames_failed"].sort(key=lambda f: f["frame"])
    if options.export_shapes:  # the chunks wrote each frame's shapes; one Nuke script for them all
        masks = sorted(saved_mask_folders(plugins, out))
        try:
            write_shape_scripts(out, masks, shot_name=Path(shot.pattern).name)
        except (OSError, ShapesError) as exc:
            merged["shapes"] = {**merged.get("shapes", {}), "error": f"could not write the Nuke script: {exc}"}
    write_report(out, merged, path=out / REPORT_NAME)
    return merged


def job_template(
    *,
    frames: str = "1001-1100",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    plugins: str = "seam_removal,stabilize",
    input: str | None = None,
    output: str | None = None,
    command: Sequence[str] = ("laika-fx",),
    extra_args: Sequence[str] = (),
) -> dict:
    """An Open Job Description job template (``jobtemplate-2023-09`` with the
    ``TASK_CHUNKING`` extension) for AWS Deadline Cloud or any OpenJD runner.

    Step ``Analyze`` runs ``laika-fx analyze`` once over the whole range; step ``Render``
    depends on it and is chunked over the range (``CHUNK[INT]``, contiguous chunks of
    ``ChunkSize`` frames), each task running ``laika-fx batch --frames <chunk>
    --chunk-size <ChunkSize>``; step ``Report`` merges the chunk reports. ``command`` is
    the program and its first arguments (``("laika-fx",)``, or ``(python, "-m",
    "laika_fx")``); ``extra_args`` go to both analyze and batch (``--set ...``).
    """

    def path_param(name: str, flow: str, value: str | None, what: str) -> dict:
        p = {"name": name, "type": "PATH", "objectType": "DIRECTORY", "dataFlow": flow, "description": what}
        if value is not None:
            p["default"] = str(value)
        return p

    program, *lead = list(command)
    common = ["{{Param.Input}}", "{{Param.Output}}", "--plugins", "{{Param.Plugins}}", *extra_args]

    def action(args: list[str]) -> dict:
        return {"actions": {"onRun": {"command": program, "args": [*lead, *args]}}}

    return {
        "specificationVersion": "jobtemplate-2023-09",
        "extensions": ["TASK_CHUNKING"],
        "name": "laika_fx {{Param.Frames}}",
        "parameterDefinitions": [
            path_param("Input", "IN", input, "shot folder (or frame pattern)"),
            path_param("Output", "OUT", output, "output folder, shared by every task"),
            {"name": "Frames", "type": "STRING", "default": frames, "description": "frame range, e.g. 1001-1100"},
            {"name": "ChunkSize", "type": "INT", "default": int(chunk_size), "minValue": 1,
             "description": "frames per render task"},
            {"name": "Plugins", "type": "STRING", "default": plugins, "description": "plugin chain"},
        ],  # fmt: skip
        "steps": [
            {"name": "Analyze", "script": action(["analyze", *common, "--frames", "{{Param.Frames}}", "-q"])},
            {
                "name": "Render",
                "dependencies": [{"dependsOn": "Analyze"}],
                "parameterSpace": {
                    "taskParameterDefinitions": [{
                        "name": "Frame", "type": "CHUNK[INT]", "range": "{{Param.Frames}}",
                        "chunks": {"defaultTaskCount": "{{Param.ChunkSize}}", "rangeConstraint": "CONTIGUOUS"},
                    }],
                },  # fmt: skip
                "script": action(["batch", *common, "--frames", "{{Task.Param.Frame}}",
                                  "--chunk-size", "{{Param.ChunkSize}}", "-q"]),  # fmt: skip
            },
            {"name": "Report", "dependencies": [{"dependsOn": "Render"}], "script": action(["report", "{{Param.Output}}"])},
        ],
    }
