"""The learned coarse aligner network (torch, training time only; no I/O here).

A HomographyNet-style regressor: a 2-channel 128x128 grayscale pair (moving,
reference; each zero-mean unit-std) is average-pooled to 64x64 and goes through strided
3x3 convolutions to a
4x4x128 map, then two fully connected layers predict the displacement of the moving
view's four corners under the moving -> reference transform (divided by
:data:`laika_fx.stabilize.coarse.OFFSET_SCALE`).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["CoarseAlignerNet"]


def _block(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)
    )


class CoarseAlignerNet(nn.Module):
    """Predicts 4-corner offsets for a (B, 2, 128, 128) pair; output (B, 8)."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        w = width
        self.features = nn.Sequential(
            nn.AvgPool2d(2),  # 64: the bump range in pixels halves, training is 4x cheaper
            _block(2, 2 * w, 1),
            _block(2 * w, 2 * w, 2),  # 32
            _block(2 * w, 4 * w, 1),
            _block(4 * w, 4 * w, 2),  # 16
            _block(4 * w, 8 * w, 1),
            _block(8 * w, 8 * w, 2),  # 8
            _block(8 * w, 8 * w, 2),  # 4
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(8 * w * 16, 128), nn.ReLU(inplace=True), nn.Dropout(0.1), nn.Linear(128, 8)
        )

    def forward(self, pair: torch.Tensor) -> torch.Tensor:
        if pair.ndim != 4 or pair.shape[1] != 2 or pair.shape[2] != 128 or pair.shape[3] != 128:
            raise ValueError(f"expected a (B, 2, 128, 128) pair, got {tuple(pair.shape)}")
        return self.head(self.features(pair))
