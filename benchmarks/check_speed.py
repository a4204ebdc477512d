"""Speed of the equivalence checker: Keras models against their torch twins.

    python benchmarks/check_speed.py [--examples 100] [--device auto|cpu|cuda]

Checks a 10-layer CNN and a 2-layer LSTM on N generated examples each (inputs and weights
drawn per example; eval and train forwards, one SGD step) and prints wall time and time per
example. Goal: the CNN under 30 s on CPU. On a GPU, torch runs on CUDA (TF32 off in both
frameworks) and the device is printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def cnn_pair():
    import keras
    import torch.nn.functional as F
    from torch import nn

    inp = keras.Input((None, None, 3), name="image")
    h = inp
    for filters, stride in [(8, 1), (8, 2), (16, 1), (16, 2), (32, 1), (32, 1)]:
        h = keras.layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(h)
    h = keras.layers.Conv2D(32, 1, activation="relu")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    h = keras.layers.Dense(32, activation="relu")(h)
    km = keras.Model(inp, keras.layers.Dense(10)(h))

    class PadSame(nn.Module):
        def __init__(self, k, s):
            super().__init__()
            self.k, self.s = k, s

        def forward(self, x):
            h, w = x.shape[-2:]
            ph = max(0, (-(-h // self.s) - 1) * self.s + self.k - h)
            pw = max(0, (-(-w // self.s) - 1) * self.s + self.k - w)
            return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))

    layers, cin = [], 3
    for filters, stride in [(8, 1), (8, 2), (16, 1), (16, 2), (32, 1), (32, 1)]:
        layers += [PadSame(3, stride), nn.Conv2d(cin, filters, 3, stride=stride), nn.ReLU()]
        cin = filters
    layers += [nn.Conv2d(32, 32, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
               nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10)]
    return km, nn.Sequential(*layers)


def lstm_pair():
    import keras
    from torch import nn

    inp = keras.Input((None, 8), name="seq")
    h = keras.layers.LSTM(16, return_sequences=True)(inp)
    h = keras.layers.LSTM(16)(h)
    km = keras.Model(inp, keras.layers.Dense(4)(h))

    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True)
            for name, p in self.lstm.named_parameters():
                if name.startswith("bias_hh"):  # Keras has one bias per layer
                    p.requires_grad_(False)
            self.fc = nn.Linear(16, 4)

        def forward(self, x):
            return self.fc(self.lstm(x)[0][:, -1])

    return km, Twin()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=100)
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from migrate.check import CheckOptions, check

    t0 = time.perf_counter()
    import tensorflow as tf
    import torch

    print(f"imports: {time.perf_counter() - t0:.1f} s   tensorflow {tf.__version__}, torch {torch.__version__}")
    print(f"TF GPUs: {[d.name for d in tf.config.list_physical_devices('GPU')] or 'none'}; "
          f"torch CUDA: {torch.cuda.is_available()}"
          + (f" ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else ""))
    rows = []
    for name, make in [("cnn-10", cnn_pair), ("lstm-2", lstm_pair)]:
        old, new = make()
        opts = CheckOptions(max_examples=args.examples, seed=args.seed, device=args.device, name=name)
        t = time.perf_counter()
        res = check(old, new, opts)
        wall = time.perf_counter() - t
        rows.append((name, res.status, res.examples_run, wall, wall / max(1, res.examples_run), res.max_abs_diff,
                     res.train.max_param_diff if res.train else float("nan"), res.device))
        if res.status != "equivalent":
            print(res.summary())
    print()
    print(f"{'model':<8} {'status':<15} {'examples':>8} {'wall s':>8} {'s/example':>10} {'max|diff|':>10} "
          f"{'step diff':>10}  device")
    for r in rows:
        print(f"{r[0]:<8} {r[1]:<15} {r[2]:>8} {r[3]:>8.2f} {r[4]:>10.4f} {r[5]:>10.2e} {r[6]:>10.2e}  {r[7]}")
    ok = all(r[1] == "equivalent" for r in rows)
    cnn = rows[0]
    if cnn[7] == "cpu" and args.examples >= 100:
        print(f"\nCNN goal (< 30 s on CPU for 100 examples): {'met' if cnn[3] < 30 else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
