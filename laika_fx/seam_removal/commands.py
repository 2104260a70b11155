"""``laika-fx train seam-detector|face-finder|inpainter`` and ``laika-fx eval seams``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _train(args: argparse.Namespace) -> int:
    try:
        from . import train
    except ImportError as exc:  # torch / nncf missing
        print(f"laika-fx: error: training needs the [train] extra (pip install -e '.[train]'): {exc}")
        return 2
    qat_minutes = args.qat_minutes if args.qat_minutes is not None else (15.0 if args.minutes > 0 else 0.0)
    kwargs = dict(minutes=args.minutes, seed=args.seed, threads=args.threads,
                  run_dir=Path(args.run_dir) / args.model.replace("-", "_"), lr=args.lr)  # fmt: skip
    if args.out_dir:
        kwargs["out_dir"] = Path(args.out_dir)
    if args.model == "face-finder":
        meta = {"face_finder": train.train_face_finder(**kwargs, samples=args.samples or 2400)}
        out_dir = kwargs.get("out_dir", train.MODELS_DIR)
        if (out_dir / "seam_detector_int8.xml").exists():
            # the detector's thresholds are calibrated with the face gate: calibrate them again
            meta["seam_detector"] = train.calibrate_detector(out_dir)
    elif args.model == "seam-detector" and args.calibrate_only:
        meta = train.calibrate_detector(kwargs.get("out_dir", train.MODELS_DIR))
    elif args.model == "seam-detector":
        meta = train.train_detector(**kwargs, samples=args.samples or 2400, crop=args.crop, batch=args.batch,
                                    pos_weight=args.pos_weight,
                                    qat_minutes=qat_minutes, p_lines=args.p_lines,
                                    init_from=Path(args.init_from) if args.init_from else None)  # fmt: skip
    else:
        meta = train.train_inpainter(**kwargs, samples=args.samples or 6000, qat_minutes=qat_minutes)
    print(json.dumps(meta, indent=2))
    return 0


def _eval(args: argparse.Namespace) -> int:
    from .evaluate import format_table, run_eval

    results = run_eval(precisions=tuple(args.precision.split(",")), count=args.count,
                       sample_root=Path(args.sample_frames) if args.sample_frames else None)  # fmt: skip
    print(format_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


def register_commands(sub, *, train, eval) -> None:  # noqa: A002 - mirrors the CLI words
    for name, minutes in (("seam-detector", 20.0), ("face-finder", 12.0), ("inpainter", 15.0)):
        t = train.add_parser(name, help=f"train the {name.replace('-', ' ')} and export FP32 + INT8 IR")
        t.add_argument("--minutes", type=float, default=minutes,
                       help=f"training time budget (default {minutes}; 0 = export the checkpoint again)")
        t.add_argument("--samples", type=int, default=None,
                       help="synthetic training data: whole 352 px scenes for the detector (default 2400), "
                            "136x200 scenes for the face finder (default 2400), "
                            "64 px crops for the inpainter (default 6000)")
        t.add_argument("--seed", type=int, default=0)
        t.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
        t.add_argument("--run-dir", default="runs", help="logs, data cache and checkpoints (default runs/)")
        t.add_argument("--out-dir", default=None,
                       help="where the IRs and their JSON go (default laika_fx/models, the shipped models)")
        t.add_argument("--lr", type=float, default=2e-3,
                       help="peak learning rate (default 2e-3; a rerun resumes from the checkpoint: use less to fine-tune)")
        if name == "seam-detector":
            t.add_argument("--pos-weight", type=float, default=3.0,
                           help="weight of seam pixels in the loss (lower favours precision; default 3)")
            t.add_argument("--p-lines", type=float, default=0.5,
                           help="share of crops that get extra plank gaps / wires drawn on the fly (default 0.5)")
            t.add_argument("--crop", type=int, default=352,
                           help="training window in px (default 352 = whole scenes; smaller: random windows)")
            t.add_argument("--batch", type=int, default=6, help="windows per step (default 6)")
            t.add_argument("--calibrate-only", action="store_true",
                           help="only calibrate the shipped detector's thresholds again (with the face gate), "
                                "no training; needs no torch")
            t.add_argument("--init-from", metavar="CHECKPOINT",
                           help="start from a four-level detector's checkpoint.pt (the net shipped before the "
                                "1/32 context level) or from an FP32 IR of this net (e.g. the shipped "
                                "laika_fx/models/seam_detector_fp32.xml); ignored when the run folder has a "
                                "checkpoint to resume")
        if name == "face-finder":
            t.set_defaults(func=_train, model=name, qat_minutes=0.0)
            continue
        t.add_argument("--qat-minutes", type=float, default=None,
                       help="quantization-aware training (NNCF) after the FP32 run (default 15; 0 = post-training "
                            "quantization with the layers it hurts kept FP32); with --minutes 0 it continues the "
                            "QAT checkpoint this long (default 0: export it again)")
        t.set_defaults(func=_train, model=name)
    e = eval.add_parser("seams", help="seam detection and inpainting quality on held-out data")
    e.add_argument("--precision", default="fp32,int8", help="precisions to compare (default fp32,int8)")
    e.add_argument("--count", type=int, default=96,
                   help="held-out synthetic scenes (default 96; half as many seam-free frames and inpainting scenes)")
    e.add_argument("--sample-frames", default="sample_frames", help="folder with ground_truth/ (default sample_frames)")
    e.add_argument("--json", help="also write the results to this JSON file")
    e.set_defaults(func=_eval)
