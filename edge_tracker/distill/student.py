"""The student (and bundled teacher) network: a small CenterNet in Keras.

Backbone: a 3x3 stem (stride 2) then depthwise-separable blocks (3x3 depthwise +
1x1 pointwise, BatchNorm, ReLU6: int8-friendly) down to stride 16; a light FPN
brings stride 16 and 8 features back up to the output stride (4 or 8) by nearest
upsampling + 1x1 lateral projections. Heads (each a depthwise-separable 3x3 then a
1x1): ``heatmap`` (sigmoid, [1,Hg,Wg,C]), ``size`` (ReLU, stride units, [1,Hg,Wg,2]),
``offset`` (sigmoid, cells, [1,Hg,Wg,2]). The training model also outputs ``feat``:
the stride-8 backbone features (4 * width channels) that feature losses compare with
the teacher's.

Input: (H, W, 3) RGB in [0, 1] (x / 255), plus one prior channel in [0, 1] with
``prior_channel`` (concatenated as channel 4).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers


@dataclass(frozen=True)
class NetSpec:
    """Network shape. ``width``: channels of the stem (stages use 1x, 2x, 4x, 8x width)."""

    in_w: int = 320
    in_h: int = 192
    width: int = 16
    stride: int = 4
    num_classes: int = 1
    prior_channel: bool = False

    def validate(self) -> None:
        if self.stride not in (4, 8):
            raise ValueError(f"stride must be 4 or 8, got {self.stride}")
        if self.in_w % 16 or self.in_h % 16:
            raise ValueError(f"input size must be a multiple of 16, got {self.in_w}x{self.in_h}")
        if not 4 <= self.width <= 128:
            raise ValueError(f"width must be in 4..128, got {self.width}")


def _bn_act(x):
    x = layers.BatchNormalization(momentum=0.9)(x)
    return layers.ReLU(6.0)(x)


def _conv(x, ch, k=1, s=1):
    x = layers.Conv2D(ch, k, strides=s, padding="same", use_bias=False)(x)
    return _bn_act(x)


def _dws(x, ch, s=1):
    x = layers.DepthwiseConv2D(3, strides=s, padding="same", use_bias=False)(x)
    x = _bn_act(x)
    return _conv(x, ch)


def _head(x, ch, out_ch, act, name, bias=0.0):
    x = _dws(x, ch)
    return layers.Conv2D(out_ch, 1, activation=act, name=name,
                         bias_initializer=keras.initializers.Constant(bias))(x)


def build(spec: NetSpec) -> tuple[keras.Model, keras.Model]:
    """(training model with outputs heatmap/size/offset/feat, export model without feat);
    both share layers and weights."""
    spec.validate()
    w = spec.width
    inp = keras.Input((spec.in_h, spec.in_w, 4 if spec.prior_channel else 3), name="image")
    x = _conv(inp, w, 3, 2)                       # stride 2
    x = _dws(x, 2 * w, 2)                         # stride 4
    s4 = _dws(x, 2 * w)
    x = _dws(s4, 4 * w, 2)                        # stride 8
    x = _dws(x, 4 * w)
    s8 = _dws(x, 4 * w)
    x = _dws(s8, 8 * w, 2)                        # stride 16
    x = _dws(x, 8 * w)
    s16 = _dws(x, 8 * w)
    up = layers.UpSampling2D(2, interpolation="nearest")(_conv(s16, 4 * w))
    x = layers.Add()([up, _conv(s8, 4 * w)])
    x = _dws(x, 4 * w)                            # stride 8 fused
    if spec.stride == 4:
        up = layers.UpSampling2D(2, interpolation="nearest")(_conv(x, 2 * w))
        x = layers.Add()([up, _conv(s4, 2 * w)])
        x = _dws(x, 2 * w)
    hc = 2 * w if spec.stride == 4 else 4 * w
    # heatmap bias -2.19 = logit(0.1): the CenterNet paper's focal-loss prior
    hm = _head(x, hc, spec.num_classes, "sigmoid", "heatmap", bias=-2.19)
    size = _head(x, hc, 2, "relu", "size", bias=1.0)
    off = _head(x, hc, 2, "sigmoid", "offset")
    outs = {"heatmap": hm, "size": size, "offset": off}
    train = keras.Model(inp, {**outs, "feat": s8}, name="centernet_train")
    export = keras.Model(inp, outs, name="centernet")
    return train, export


def count_macs(model: keras.Model) -> int:
    """Multiply-accumulates of one inference (Conv2D, DepthwiseConv2D; others ignored)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, (layers.Conv2D, layers.DepthwiseConv2D)):
            out = layer.output.shape  # (None, H, W, C)
            k = layer.kernel_size[0] * layer.kernel_size[1]
            if isinstance(layer, layers.DepthwiseConv2D):
                total += out[1] * out[2] * out[3] * k
            else:
                cin = layer.input.shape[-1]
                total += out[1] * out[2] * out[3] * k * cin
    return int(total)
