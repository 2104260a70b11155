"""``laika-fx train aligner`` and ``laika-fx eval stabilize``."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["register_commands"]


def cmd_train_aligner(args) -> int:
    from ..accelerators.runtime import MODELS_DIR
    from .train import export_aligner, train_aligner

    ckpt = Path(args.work) / "checkpoint.pt"
    if not args.export_only:
        ckpt = train_aligner(
            args.work, steps=args.steps, batch_size=args.batch_size, seed=args.seed, threads=args.threads,
            resume=args.resume,
        )  # fmt: skip
    metrics = export_aligner(ckpt, args.models_dir or MODELS_DIR, seed=args.seed)
    print(json.dumps(metrics, indent=1))
    return 0


def cmd_eval_stabilize(args) -> int:
    from .eval import evaluate, evaluate_bump_shots, evaluate_bumps, format_table, summarise_bumps

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
    if args.json:
        Path(args.json).write_text(
            json.dumps({"shots": rows, "bumps": bumps, "bump_shots": bump_shots}, indent=1) + "\n"
        )
    return 0


def register_commands(sub, *, train, eval) -> None:  # noqa: A002 - mirrors the CLI words
    t = train.add_parser("aligner", help="train the learned coarse aligner, export FP32 + INT8 IR")
    t.add_argument("--work", default="runs/aligner", help="checkpoint and log folder (default runs/aligner)")
    t.add_argument("--steps", type=int, default=1000, help="optimiser steps of 32 pairs (default 1000, ~15-20 min on a busy shared core)")
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=1, help="torch threads (default 1: shared machine)")
    t.add_argument("--resume", action="store_true", help="continue from the checkpoint in --work")
    t.add_argument("--export-only", action="store_true", help="skip training, export the checkpoint in --work")
    t.add_argument("--models-dir", default=None, help="where the IR files go (default laika_fx/models)")
    t.set_defaults(func=cmd_train_aligner)

    e = eval.add_parser("stabilize", help="camera solve vs ECC, ORB+RANSAC and vidstab on synthetic shots")
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
    e.add_argument("--json", help="also write the rows as JSON here")
    e.set_defaults(func=cmd_eval_stabilize)
