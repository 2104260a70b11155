"""Networks of seam removal (torch; training time only).

kornia's shape: a function of tensors plus a thin ``nn.Module``; no I/O here.

- :class:`SeamNet` -- seam detector: a compact coarse-to-fine segmentation net. A
  stride-2 stem takes the frame to 1/2 resolution at once; three more stride-2 levels
  (1/4, 1/8, 1/16) give the context a seam needs (it crosses a face, with a colour
  step and a shadow), and a fifth, 1/32 level with a dilated conv (``context``) sees
  ~400 px of the working image: what tells a seam (on a face, ending at its outline)
  from a wire or a plank gap running on across the set. It costs little (the 1/32 map
  is 1/1024 of the pixels). The decoder comes back to 1/2 resolution, where a 1x1 conv
  gives logits that are upsampled bilinearly to full resolution. Dense 3x3 convs only:
  depthwise blocks are memory-bound on this CPU (docs/research.md). The shipped IR stops
  before that last upsampling (``full_resolution = False``): OpenVINO's Interpolate took
  8-10 ms per 960x544 image, as long as the INT8 decoder's largest conv, and
  ``cv2.resize`` (same half-pixel bilinear) does it in about 1 ms.
- :class:`FaceNet` -- face finder: where in the frame is a puppet's replaceable face?
  A seam lies on a face, by definition; the detector's remaining false positives were
  wires and plank gaps on the set (scored as high as real seams), so a detection is kept
  only where it lies on a face. A small U-Net on the frame shrunk to a 136 px short side
  (a face is large; ~1-2 ms), four stride-2 levels with dilated convs at 1/16 (a face is
  told by its outline, eyes and mouth together), logits at 1/2 of its input.
- :class:`InpaintNet` -- seam inpainter: a small U-Net that takes
  ``[frame with hole zeroed (3), mask (1), Telea fill (3)]`` and predicts a residual
  added to the Telea fill inside the hole (docs/research.md: correcting Telea is what makes
  a small CPU-trained net win).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["SeamNet", "FaceNet", "InpaintNet", "check_shape"]


def check_shape(x: torch.Tensor, channels: int, name: str) -> None:
    """Raise if ``x`` is not ``(B, channels, H, W)``."""
    if x.ndim != 4 or x.shape[1] != channels:
        raise ValueError(f"{name}: expected (B, {channels}, H, W), got {tuple(x.shape)}")


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.ReLU(inplace=True))


class SeamNet(nn.Module):
    """Seam detector. ``(B, 3, H, W)`` RGB in [0, 1] -> ``(B, 1, H, W)`` logits.

    H and W must be multiples of 32 (16 with ``context=0``). With ``full_resolution =
    False`` the logits are returned at ``(H/2, W/2)`` (what the exported IR does; see the
    module doc). ``context``: channels of the 1/32 level (0 = none, the four-level net
    shipped before; :meth:`load_four_level` starts a five-level net from one).
    """

    full_resolution = True

    def __init__(self, widths: tuple[int, int, int, int] = (16, 24, 32, 48), context: int = 64) -> None:
        super().__init__()
        c1, c2, c3, c4 = widths
        self.context = context
        if context:
            self.down5 = nn.Sequential(
                _conv(c4, context, 2), _conv(context, context),
                nn.Conv2d(context, context, 3, 1, padding=2, dilation=2), nn.ReLU(inplace=True),
            )  # fmt: skip
            self.up4 = _conv(context + c4, c4)
        self.stem = nn.Sequential(_conv(3, c1, 2), _conv(c1, c1))  # 1/2
        self.down2 = nn.Sequential(_conv(c1, c2, 2), _conv(c2, c2))  # 1/4
        self.down3 = nn.Sequential(_conv(c2, c3, 2), _conv(c3, c3))  # 1/8
        self.down4 = nn.Sequential(_conv(c3, c4, 2), _conv(c4, c4))  # 1/16
        self.up3 = _conv(c4 + c3, c3)
        self.up2 = _conv(c3 + c2, c2)
        self.up1 = _conv(c2 + c1, c1)
        self.head = nn.Conv2d(c1, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.stem(x)
        x2 = self.down2(x1)
        x3 = self.down3(x2)
        x4 = self.down4(x3)
        if self.context:
            x5 = self.down5(x4)
            x4 = self.up4(torch.cat([F.interpolate(x5, scale_factor=2.0, mode="nearest"), x4], 1))
        y = self.up3(torch.cat([F.interpolate(x4, scale_factor=2.0, mode="nearest"), x3], 1))
        y = self.up2(torch.cat([F.interpolate(y, scale_factor=2.0, mode="nearest"), x2], 1))
        y = self.up1(torch.cat([F.interpolate(y, scale_factor=2.0, mode="nearest"), x1], 1))
        logits = self.head(y)
        if not self.full_resolution:
            return logits
        return F.interpolate(logits, scale_factor=2.0, mode="bilinear", align_corners=False)

    def load_four_level(self, state: dict) -> None:
        """Start from a four-level (``context=0``) net's weights: the five-level net then
        computes exactly what that net did (``up4`` passes the 1/16 features through and
        ignores the new 1/32 level) until training teaches it to use the context."""
        missing, unexpected = self.load_state_dict(state, strict=False)
        if unexpected or any(not k.startswith(("down5.", "up4.")) for k in missing):
            raise ValueError(f"not a four-level SeamNet state: missing {missing}, unexpected {unexpected}")
        conv = self.up4[0]
        c4 = conv.out_channels
        with torch.no_grad():
            conv.weight.zero_()
            conv.bias.zero_()
            for j in range(c4):  # identity on the x4 half of cat([up(x5), x4]); x4 >= 0 (ReLU)
                conv.weight[j, self.context + j, 1, 1] = 1.0


class FaceNet(nn.Module):
    """Face finder. ``(B, 3, H, W)`` RGB in [0, 1] -> ``(B, 1, H/2, W/2)`` face logits.

    H and W must be multiples of 16.
    """

    def __init__(self, widths: tuple[int, int, int, int] = (16, 24, 32, 48)) -> None:
        super().__init__()
        c1, c2, c3, c4 = widths
        self.stem = nn.Sequential(_conv(3, c1, 2), _conv(c1, c1))  # 1/2
        self.down2 = nn.Sequential(_conv(c1, c2, 2), _conv(c2, c2))  # 1/4
        self.down3 = nn.Sequential(_conv(c2, c3, 2), _conv(c3, c3))  # 1/8
        self.down4 = nn.Sequential(
            _conv(c3, c4, 2),
            nn.Conv2d(c4, c4, 3, 1, padding=2, dilation=2), nn.ReLU(inplace=True),
            nn.Conv2d(c4, c4, 3, 1, padding=4, dilation=4), nn.ReLU(inplace=True),
        )  # fmt: skip
        self.up3 = _conv(c4 + c3, c3)
        self.up2 = _conv(c3 + c2, c2)
        self.up1 = _conv(c2 + c1, c1)
        self.head = nn.Conv2d(c1, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.jit.is_tracing():  # export traces the net; the check is for callers
            check_shape(x, 3, "FaceNet input")
        x1 = self.stem(x)
        x2 = self.down2(x1)
        x3 = self.down3(x2)
        x4 = self.down4(x3)
        y = self.up3(torch.cat([F.interpolate(x4, scale_factor=2.0, mode="nearest"), x3], 1))
        y = self.up2(torch.cat([F.interpolate(y, scale_factor=2.0, mode="nearest"), x2], 1))
        y = self.up1(torch.cat([F.interpolate(y, scale_factor=2.0, mode="nearest"), x1], 1))
        return self.head(y)


class InpaintNet(nn.Module):
    """Inpainter: residual on top of a Telea fill.

    Inputs ``(B, 7, H, W)``: RGB with the hole zeroed, the hole mask (1 = fill), the
    Telea fill (RGB), all in [0, 1]. Output ``(B, 3, H, W)``: the corrected fill
    ``telea + mask * residual`` (pixels outside the hole are the Telea image, which
    equals the input there). H and W must be multiples of 8.
    """

    def __init__(self, widths: tuple[int, int, int] = (24, 48, 96)) -> None:
        super().__init__()
        c1, c2, c3 = widths
        self.enc1 = nn.Sequential(_conv(7, c1), _conv(c1, c1))
        self.enc2 = nn.Sequential(_conv(c1, c2, 2), _conv(c2, c2))
        self.enc3 = nn.Sequential(_conv(c2, c3, 2), _conv(c3, c3), _conv(c3, c3))
        self.dec2 = nn.Sequential(_conv(c3 + c2, c2), _conv(c2, c2))
        self.dec1 = nn.Sequential(_conv(c2 + c1, c1), _conv(c1, c1))
        self.out = nn.Conv2d(c1, 3, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = x[:, 3:4]
        telea = x[:, 4:7]
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        d2 = self.dec2(torch.cat([F.interpolate(e3, scale_factor=2.0, mode="nearest"), e2], 1))
        d1 = self.dec1(torch.cat([F.interpolate(d2, scale_factor=2.0, mode="nearest"), e1], 1))
        return telea + mask * self.out(d1)
