"""Synthetic driving clips for the case study, drawn with numpy only.

Each sample is a short clip of consecutive camera frames of a road seen from
the driver's seat:

* sky (vertical blue gradient) above a horizon, grass on the sides, a grey road
  that narrows towards the horizon;
* two lane lines (solid yellow on the left, dashed white on the right; the
  dashes move between frames as the car drives forward).  The road bends with a
  per-clip curvature that drifts slowly from frame to frame; the steering angle
  of the last frame (the "key" frame) is ``STEER_GAIN * curvature``;
* 0-2 vehicles, drawn as solid rectangles: a car (class 1, red, wide and flat)
  or a truck (class 2, blue, taller than wide).  They sit in one of three lanes
  and slowly approach or recede over the clip.  The detection target is the
  nearest vehicle of the key frame (class 0 "none" when there is none) and its
  box;
* the lane mask (pixels where a lane line is visible in the key frame) is the
  segmentation target.

Images are float32 in [0, 1], height x width x RGB, with a little per-clip
brightness change and pixel noise.  Everything is deterministic given the
random generator.  No TensorFlow import; no files read.
"""

from __future__ import annotations

import numpy as np

CLASS_NAMES = ("none", "car", "truck")
NUM_CLASSES = len(CLASS_NAMES)
STEER_GAIN = 0.5          # steering angle (rad) per unit of curvature
HORIZON = 0.3             # horizon row as a fraction of the height
MAX_VEHICLES = 2

SKY_TOP = np.array([0.30, 0.50, 0.90], np.float32)
SKY_HORIZON = np.array([0.75, 0.85, 0.95], np.float32)
GRASS = np.array([0.20, 0.50, 0.20], np.float32)
ROAD = np.array([0.38, 0.38, 0.40], np.float32)
YELLOW = np.array([0.95, 0.85, 0.20], np.float32)
WHITE = np.array([1.00, 1.00, 1.00], np.float32)
VEHICLE_COLORS = {1: np.array([0.85, 0.12, 0.10], np.float32),   # car
                  2: np.array([0.12, 0.25, 0.85], np.float32)}   # truck
LANE_OFFSETS = (-1.9, 0.0, 1.9)   # lane centres, in lane half-widths


def _rng(rng):
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def _geometry(height, width, curvature, offset):
    """Per-row road geometry of one frame: depth z, road centre, half widths."""
    rows = np.arange(height, dtype=np.float64) + 0.5
    horizon = HORIZON * height
    z = (rows - horizon) / (height - horizon)          # 0 at horizon, 1 at the bottom
    zc = np.clip(z, 0.0, 1.0)
    centre = width * (0.5 + offset * zc + 0.45 * curvature * (1.0 - zc) ** 2)
    road_half = width * (0.05 + 0.95 * zc)
    lane_half = width * (0.015 + 0.32 * zc)
    line_half = 0.45 + 0.9 * zc                       # half thickness of a lane line, px
    return z, centre, road_half, lane_half, line_half


def _vehicle_box(height, width, cls, z, lane, jitter, curvature, offset):
    """Integer pixel box [r0, c0, r1, c1) of a vehicle whose bottom is at depth z."""
    horizon = HORIZON * height
    bottom = horizon + z * (height - horizon)
    centre = width * (0.5 + offset * z + 0.45 * curvature * (1.0 - z) ** 2)
    lane_half = width * (0.015 + 0.32 * z)
    cx = centre + (LANE_OFFSETS[lane] + jitter) * lane_half
    if cls == 1:
        w = 0.95 * lane_half
        h = 0.55 * w
    else:
        w = 0.85 * lane_half
        h = 1.15 * w
    top, left, right = bottom - h, cx - 0.5 * w, cx + 0.5 * w
    # pixels whose centres fall inside the rectangle
    r0 = int(np.clip(np.ceil(top - 0.5), 0, height))
    r1 = int(np.clip(np.ceil(bottom - 0.5), 0, height))
    c0 = int(np.clip(np.ceil(left - 0.5), 0, width))
    c1 = int(np.clip(np.ceil(right - 0.5), 0, width))
    return r0, c0, r1, c1


def draw_frame(height, width, curvature, offset, dash_phase, vehicles):
    """Draw one frame.

    vehicles: list of (cls, z, lane, jitter), far ones first.
    Returns (image float32 [H, W, 3] before brightness/noise, lane mask
    float32 [H, W], list of integer boxes [r0, c0, r1, c1) in the same order).
    """
    z, centre, road_half, lane_half, line_half = _geometry(height, width, curvature, offset)
    cols = np.arange(width, dtype=np.float64)[None, :] + 0.5
    zz = z[:, None]
    below = zz > 0.0

    img = np.empty((height, width, 3), np.float32)
    t = np.clip(np.arange(height, dtype=np.float32) / max(HORIZON * height, 1.0), 0.0, 1.0)
    sky = SKY_TOP[None, :] * (1.0 - t[:, None]) + SKY_HORIZON[None, :] * t[:, None]
    img[:] = sky[:, None, :]
    shade = np.broadcast_to((0.8 + 0.2 * np.clip(zz, 0.0, 1.0))[..., None],
                            (height, width, 1)).astype(np.float32)
    dx = cols - centre[:, None]
    road = below & (np.abs(dx) < road_half[:, None])
    grass = below & ~road
    img[grass] = (GRASS[None, None, :] * shade)[grass]
    img[road] = (ROAD[None, None, :] * shade)[road]

    left = below & (np.abs(dx + lane_half[:, None]) < line_half[:, None])
    right = below & (np.abs(dx - lane_half[:, None]) < line_half[:, None])
    distance = 1.0 / np.maximum(zz, 0.05)             # perspective distance of a row
    dashes = np.mod(distance * 0.8 + dash_phase, 1.0) < 0.55
    right &= dashes
    img[left] = YELLOW
    img[right] = WHITE
    mask = left | right

    boxes = []
    for cls, vz, lane, jitter in vehicles:
        r0, c0, r1, c1 = _vehicle_box(height, width, cls, vz, lane, jitter, curvature, offset)
        img[r0:r1, c0:c1] = VEHICLE_COLORS[cls]
        mask[r0:r1, c0:c1] = False
        boxes.append((r0, c0, r1, c1))
    return img, mask.astype(np.float32), boxes


def make_clip(rng, frames, height, width):
    """One clip as a dict of numpy arrays (see make_batch for the keys)."""
    rng = _rng(rng)
    curv0 = rng.uniform(-1.0, 1.0)
    dcurv = rng.uniform(-0.08, 0.08)
    curvature = np.clip(curv0 + dcurv * (np.arange(frames) - (frames - 1)), -1.2, 1.2)
    offset0 = rng.uniform(-0.06, 0.06)
    doffset = rng.uniform(-0.01, 0.01)
    speed = rng.uniform(0.15, 0.35)                   # dash phase advance per frame
    phase0 = rng.uniform(0.0, 1.0)
    brightness = rng.uniform(0.9, 1.1)

    n_vehicles = int(rng.integers(0, MAX_VEHICLES + 1))
    lanes = rng.permutation(len(LANE_OFFSETS))[:n_vehicles]
    specs = []
    for lane in lanes:
        cls = int(rng.integers(1, NUM_CLASSES))
        z_key = rng.uniform(0.35, 0.9)
        dz = rng.uniform(-0.04, 0.05)                 # per frame; > 0 approaching
        jitter = rng.uniform(-0.25, 0.25)
        specs.append((cls, z_key, dz, int(lane), jitter))
    # a vehicle that the bend pushes (almost) out of the key frame is not on the road
    visible = []
    for spec in specs:
        cls, z_key, _, lane, jitter = spec
        r0, c0, r1, c1 = _vehicle_box(height, width, cls, z_key, lane, jitter,
                                      curvature[-1], offset0)
        if r1 - r0 >= 2 and c1 - c0 >= 2:
            visible.append(spec)
    specs = visible
    n_vehicles = len(specs)
    noise = rng.normal(0.0, 0.01, size=(frames, height, width, 3)).astype(np.float32)

    images = np.empty((frames, height, width, 3), np.float32)
    key_mask = key_boxes = key_vehicles = None
    for f in range(frames):
        back = frames - 1 - f
        offset = offset0 - doffset * back
        vehicles = [(cls, float(np.clip(z - dz * back, 0.3, 1.0)), lane, jitter)
                    for cls, z, dz, lane, jitter in specs]
        vehicles.sort(key=lambda v: v[1])             # far first, near drawn on top
        img, mask, boxes = draw_frame(height, width, curvature[f], offset,
                                      phase0 + speed * f, vehicles)
        images[f] = img
        if f == frames - 1:
            key_mask, key_boxes, key_vehicles = mask, boxes, vehicles
    images = np.clip(images * brightness + noise, 0.0, 1.0)

    vehicle_classes = np.zeros([MAX_VEHICLES], np.int32)
    vehicle_boxes = np.zeros([MAX_VEHICLES, 4], np.float32)
    scale = np.array([height, width, height, width], np.float32)
    # key-frame vehicles, nearest first
    for i, (veh, box) in enumerate(reversed(list(zip(key_vehicles, key_boxes)))):
        vehicle_classes[i] = veh[0]
        vehicle_boxes[i] = np.array(box, np.float32) / scale
    return {
        "frames": images,
        "lane_mask": key_mask,
        "obj_class": np.int32(vehicle_classes[0]),
        "obj_box": vehicle_boxes[0].copy(),
        "steering": np.float32(STEER_GAIN * curvature[-1]),
        "curvature": curvature.astype(np.float32),
        "num_vehicles": np.int32(n_vehicles),
        "vehicle_classes": vehicle_classes,
        "vehicle_boxes": vehicle_boxes,
    }


def make_batch(rng, batch, frames=4, height=33, width=64):
    """A batch of clips, deterministic given ``rng`` (a numpy Generator or an int seed).

    Returns a dict of numpy arrays:
      frames          float32 [batch, frames, height, width, 3], values in [0, 1];
                      frames[:, -1] is the key (current) frame
      lane_mask       float32 [batch, height, width], 1 where a lane line is visible
                      in the key frame
      obj_class       int32   [batch], nearest vehicle of the key frame:
                      0 none, 1 car, 2 truck
      obj_box         float32 [batch, 4], its box (ymin, xmin, ymax, xmax) as
                      fractions of height/width; zeros when obj_class is 0
      steering        float32 [batch], steering angle of the key frame (rad)
      curvature       float32 [batch, frames], road curvature of every frame
      num_vehicles    int32   [batch]
      vehicle_classes int32   [batch, 2], key-frame vehicles, nearest first, 0-padded
      vehicle_boxes   float32 [batch, 2, 4], their boxes, 0-padded
    """
    rng = _rng(rng)
    clips = [make_clip(rng, frames, height, width) for _ in range(batch)]
    return {k: np.stack([c[k] for c in clips]) for k in clips[0]}


def render_samples(path, rng=0, num=4, frames=4, height=33, width=64):
    """Draw ``num`` clips (every frame, the key frame's lane mask and box) to a PNG at ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    batch = make_batch(rng, num, frames, height, width)
    fig = Figure(figsize=(2.0 * (frames + 1), 1.3 * num + 0.4))
    FigureCanvasAgg(fig)
    axes = fig.subplots(num, frames + 1, squeeze=False)
    for i in range(num):
        for f in range(frames):
            ax = axes[i, f]
            ax.imshow(batch["frames"][i, f], interpolation="nearest")
            if f == frames - 1:
                for cls, box in zip(batch["vehicle_classes"][i], batch["vehicle_boxes"][i]):
                    if cls == 0:
                        continue
                    y0, x0, y1, x1 = box * [height, width, height, width]
                    ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False,
                                           edgecolor="lime", linewidth=1.0))
            ax.set_title("t=%d  c=%+.2f" % (f - frames + 1, batch["curvature"][i, f]), fontsize=7)
        ax = axes[i, frames]
        ax.imshow(batch["lane_mask"][i], cmap="gray", interpolation="nearest", vmin=0, vmax=1)
        ax.set_title("mask  %s  steer %+.2f" % (CLASS_NAMES[batch["obj_class"][i]],
                                                batch["steering"][i]), fontsize=7)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
