"""Training-loop helpers shared by the trainers: run folder, seed and threads, data cache,
learning-rate schedule, JSON-lines log and a time-budgeted fit loop with checkpoints."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

__all__ = ["log_record", "start_run", "cached", "set_lr", "fit"]


def log_record(run_dir: Path, record: dict) -> None:
    """Append ``record`` (with the time) to ``run_dir/log.jsonl`` and print it."""
    record = {"time": round(time.time(), 1), **record}
    with open(run_dir / "log.jsonl", "a") as fh:
        fh.write(json.dumps(record) + "\n")
    print(json.dumps(record), flush=True)


def start_run(run_dir: Path, *, seed: int, threads: int) -> float:
    """Seed torch, set its threads, make the run folder; the start time of the run."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    run_dir.mkdir(parents=True, exist_ok=True)
    return time.time()


def cached(path: Path, build):
    """The arrays ``build()`` returns, saved to ``path`` (``.npz``) the first time and read
    from it afterwards (in the order ``build`` returned them)."""
    if path.exists():
        with np.load(path) as z:
            return tuple(z[k] for k in sorted(z.files))
    arrays = build()
    np.savez(path, **{f"a{i}": a for i, a in enumerate(arrays)})
    return arrays


def set_lr(opt, lr: float, progress: float) -> None:
    """Warm-up over the first 3% of the time budget, then cosine decay to 2% of ``lr``."""
    progress = min(max(progress, 0.0), 1.0)
    factor = progress / 0.03 if progress < 0.03 else 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress))
    for group in opt.param_groups:
        group["lr"] = lr * factor


def fit(net, loss_fn, *, run_dir: Path, minutes: float, lr: float, weight_decay: float, seed: int,
        metric: str, started: float, checkpoint: str = "checkpoint.pt"):  # fmt: skip
    """Train ``net`` on ``loss_fn(net, rng)`` for a time budget; resume/save ``checkpoint``.

    AdamW, warm-up then cosine decay over the budget; the mean of ``metric`` over the last
    200 steps is logged every 200 steps, when the checkpoint is saved too.
    """
    import torch

    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    ckpt = run_dir / checkpoint
    step = 0
    if ckpt.exists():
        state = torch.load(ckpt)
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
    rng = np.random.default_rng(seed + step)
    start, budget = time.time(), minutes * 60
    net.train()
    losses: list[float] = []

    def save() -> None:
        torch.save({"model": net.state_dict(), "opt": opt.state_dict(), "step": step}, ckpt)

    while time.time() - start < budget:
        set_lr(opt, lr, (time.time() - start) / budget)
        loss = loss_fn(net, rng)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        step += 1
        if step % 200 == 0:
            log_record(run_dir, {"event": "train", "phase": checkpoint.removesuffix(".pt"), "step": step,
                                 metric: round(float(np.mean(losses[-200:])), 5)})  # fmt: skip
            save()
    save()
    log_record(run_dir, {"event": "trained", "phase": checkpoint.removesuffix(".pt"), "steps": step,
                         "minutes": round((time.time() - started) / 60, 1)})  # fmt: skip
    return net.eval()
