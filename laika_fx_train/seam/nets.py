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

    @property
    def arch(self) -> dict:
        """``{"widths": (c1, c2, c3, c4), "context": c}``: what ``SeamNet(**arch)`` rebuilds."""
        return {"widths": tuple(int(m[0][0].out_channels) for m in (self.stem, self.down2, self.down3, self.down4)),
                "context": int(self.context)}  # fmt: skip

    @classmethod
    def like(cls, state: dict) -> SeamNet:
        """An untrained net of the architecture of ``state`` (a state dict of any SeamNet,
        or of NNCF's quantization-aware copy of one): the widths read off its weights."""
        widths = tuple(int(state[f"{k}.0.0.weight"].shape[0]) for k in ("stem", "down2", "down3", "down4"))
        context = int(state["down5.0.0.weight"].shape[0]) if "down5.0.0.weight" in state else 0
        return cls(widths, context)  # type: ignore[arg-type]

    def widened(self, widths: tuple[int, int, int, int], context: int) -> SeamNet:
        """A wider net that computes exactly what this one does (to float rounding).

        Every convolution keeps its weights for the channels it had; a new output channel
        reads all its inputs with default random weights, and an old output channel reads
        nothing of a new input channel (zero weights), so the new channels change nothing
        until training gives them a use (those zero weights get gradients at once). The
        decoder's concatenations keep their order (upsampled deeper features, then the
        skip), so the old input channels of those convolutions are mapped to their new
        places. Only a five-level net widens, and no width may shrink.
        """
        old = self.arch
        if any(n < o for n, o in zip(widths, old["widths"], strict=True)) or context < old["context"]:
            raise ValueError(f"can only widen {old}, not to widths {widths} context {context}")
        if not old["context"]:
            raise ValueError("widen a five-level net (load_four_level first)")
        new = SeamNet(widths, context)
        c1, c2, c3, c4 = old["widths"]
        _, n2, n3, n4 = widths
        # each convolution: (module path, old input channel blocks as (old start, size, new start))
        same = lambda c: [(0, c, 0)]  # noqa: E731
        plan = {
            "stem.0.0": same(3), "stem.1.0": same(c1), "down2.0.0": same(c1), "down2.1.0": same(c2),
            "down3.0.0": same(c2), "down3.1.0": same(c3), "down4.0.0": same(c3), "down4.1.0": same(c4),
            "down5.0.0": same(c4), "down5.1.0": same(old["context"]), "down5.2": same(old["context"]),
            "up4.0": [(0, old["context"], 0), (old["context"], c4, context)],
            "up3.0": [(0, c4, 0), (c4, c3, n4)], "up2.0": [(0, c3, 0), (c3, c2, n3)],
            "up1.0": [(0, c2, 0), (c2, c1, n2)], "head": same(c1),
        }  # fmt: skip
        mods_old, mods_new = dict(self.named_modules()), dict(new.named_modules())
        with torch.no_grad():
            for name, blocks in plan.items():
                a, b = mods_old[name], mods_new[name]
                # a new output channel reads every input with default random weights; an old
                # one reads exactly its old inputs, and nothing of the new ones
                w = b.weight
                w[:] = 0.0
                w[a.out_channels :] = nn.Conv2d(b.in_channels, b.out_channels, b.kernel_size).weight[a.out_channels :]
                for o0, size, n0 in blocks:
                    w[: a.out_channels, n0 : n0 + size] = a.weight[:, o0 : o0 + size]
                b.bias[: a.out_channels] = a.bias
        return new


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
