"""DrivingNet in PyTorch: multi-task driving perception (lane segmentation, lead
vehicle detection, steering) over a short clip of camera frames.

The finished PyTorch version of ``corpus/case_study/tf2/model.py`` (itself migrated
from ``tf1/model.py``). It computes what the TF1 graph computes and loads its
checkpoints through ``migrate convert-weights`` (see ``corpus/case_study/reproduce.py``).

Frames come channels-first as PyTorch video models take them (``frames [N, 3, T, 33, 64]``,
``to_torch_frames`` converts the data's ``[N, T, H, W, 3]``); the network folds the
frames into the batch.

TensorFlow semantics kept on purpose:
* 'SAME' padding with stride 2 pads the extra row/column at the bottom/right
  (odd height 33 -> symmetric, even width 64 -> asymmetric), so the padding is
  computed from the input size at run time (``Conv2dSame``, ``max_pool2d_same``);
* BatchNorm momentum 0.1 (= 1 - Keras/TF 0.9) and eps 1e-3;
* the LSTM has one trained bias like TF (``bias_hh`` frozen at zero);
* the L2 weight decay is part of the loss (1e-4 * sum(w**2) / 2, as tf.nn.l2_loss);
* Adam is TensorFlow's (epsilon added to sqrt(v) before the bias correction of
  the step size, epsilon 1e-8): ``TFAdam``.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

IMAGE_HEIGHT = 33
IMAGE_WIDTH = 64
NUM_FRAMES = 4
NUM_CLASSES = 3            # none, car, truck
LANE_STRIDE = 4            # lane map resolution = image / 4 (rounded up)
LSTM_UNITS = 32
WEIGHT_DECAY = 1e-4
BN_MOMENTUM = 0.1          # torch momentum = 1 - TF momentum (0.9)
BN_EPSILON = 1e-3
DROPOUT_RATE = 0.3
BOX_HUBER_DELTA = 0.1
ADAM_EPSILON = 1e-8
LOSS_WEIGHTS = {'lane': 1.0, 'class': 0.5, 'box': 5.0, 'steer': 2.0}
OUTPUT_NAMES = ('lane_logits', 'class_logits', 'boxes', 'steering')


def same_padding(size, kernel, stride):
    """TF 'SAME' padding (before, after) of one spatial axis: the extra pixel goes after."""
    out = -(-size // stride)
    needed = max(0, (out - 1) * stride + kernel - size)
    return needed // 2, needed - needed // 2


def pad_same(x, kernel, stride, value=0.0):
    top, bottom = same_padding(x.shape[-2], kernel, stride)
    left, right = same_padding(x.shape[-1], kernel, stride)
    if top or bottom or left or right:
        x = F.pad(x, (left, right, top, bottom), value=value)
    return x


class Conv2dSame(nn.Conv2d):
    """nn.Conv2d with TensorFlow's 'SAME' padding (torch's padding='same' refuses stride 2)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0, bias=bias)

    def forward(self, x):
        return super().forward(pad_same(x, self.kernel_size[0], self.stride[0]))


def max_pool2d_same(x, kernel, stride):
    """TF 'SAME' max-pool: the padded values never win (-inf)."""
    return F.max_pool2d(pad_same(x, kernel, stride, value=-math.inf), kernel, stride)


class ConvBN(nn.Module):
    """3x3 conv (no bias) + batch norm + ReLU."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv = Conv2dSame(in_channels, out_channels, 3, stride=stride, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=BN_EPSILON, momentum=BN_MOMENTUM)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class DrivingNet(nn.Module):
    def __init__(self, num_frames=NUM_FRAMES, height=IMAGE_HEIGHT, width=IMAGE_WIDTH):
        super().__init__()
        self.num_frames = num_frames
        # backbone
        self.stem = Conv2dSame(3, 16, 5, stride=2)
        self.stem_relu = nn.ReLU()
        self.conv1 = ConvBN(16, 16)
        self.conv2 = ConvBN(16, 32, stride=2)
        self.conv3 = ConvBN(32, 32)
        self.conv4 = ConvBN(32, 32, stride=2)
        # lane head
        self.lane_conv = Conv2dSame(32, 16, 3)
        self.lane_relu = nn.ReLU()
        self.lane_logits = nn.Conv2d(16, 1, 1)
        # detection head: 'coarse' is 5x8 -> 3x4 after the 'SAME' pool
        h, w = height, width
        for _ in range(4):  # stem, conv2, conv4 (stride 2) and the pool
            h, w = -(-h // 2), -(-w // 2)
        self.detect_flatten = nn.Flatten()
        self.detect_fc = nn.Linear(32 * h * w, 64)
        self.detect_relu = nn.ReLU()
        self.detect_dropout = nn.Dropout(DROPOUT_RATE)
        self.class_logits = nn.Linear(64, NUM_CLASSES)
        self.box = nn.Linear(64, 4)
        # steering head
        self.frame_embed = nn.Linear(32, LSTM_UNITS)
        self.frame_relu = nn.ReLU()
        self.lstm = nn.LSTM(LSTM_UNITS, LSTM_UNITS, batch_first=True)
        with torch.no_grad():  # TF has one LSTM bias: keep torch's second one at zero
            self.lstm.bias_hh_l0.zero_()
        self.lstm.bias_hh_l0.requires_grad_(False)
        self.angle = nn.Linear(LSTM_UNITS, 1)

    def current_frame(self, features):
        """The last frame's feature map out of a [N*T, ...] batch."""
        return features.reshape(-1, self.num_frames, *features.shape[1:])[:, -1]

    def forward(self, frames):
        n, c, t, h, w = frames.shape
        net = (frames - 0.5) * 2.0
        net = net.transpose(1, 2).reshape(n * t, c, h, w)            # [N*T, 3, H, W]
        net = self.stem_relu(self.stem(net))
        net = self.conv2(self.conv1(net))
        fine = self.conv3(net)
        coarse = self.conv4(fine)
        lane = self.lane_relu(self.lane_conv(self.current_frame(fine)))
        lane_logits = self.lane_logits(lane).squeeze(1)           # [N, h, w]
        net = max_pool2d_same(self.current_frame(coarse), 2, 2)
        net = self.detect_dropout(self.detect_relu(self.detect_fc(self.detect_flatten(net))))
        class_logits = self.class_logits(net)
        boxes = torch.sigmoid(self.box(net))
        pooled = coarse.mean(dim=(2, 3)).reshape(n, t, -1)       # [N, T, c]
        embedded = self.frame_relu(self.frame_embed(pooled))
        outputs, _ = self.lstm(embedded)
        steering = self.angle(outputs[:, -1]).squeeze(1)
        return lane_logits, class_logits, boxes, steering

    def regularized_weights(self):
        return [self.stem.weight, self.conv1.conv.weight, self.conv2.conv.weight,
                self.conv3.conv.weight, self.conv4.conv.weight, self.lane_conv.weight,
                self.detect_fc.weight, self.frame_embed.weight]


def lane_targets(lane_mask):
    """Full-resolution lane mask [N, H, W] -> [N, H/4, W/4] (a cell is lane if any pixel is)."""
    return max_pool2d_same(lane_mask[:, None], LANE_STRIDE, LANE_STRIDE)[:, 0]


def losses(model, outputs, labels, weights=None):
    """Per-head losses, the L2 weight decay and their weighted sum (TF1 reductions)."""
    weights = dict(LOSS_WEIGHTS, **(weights or {}))
    lane_logits, class_logits, boxes, steering = outputs
    lane = F.binary_cross_entropy_with_logits(lane_logits, lane_targets(labels['lane_mask']))
    cls = F.cross_entropy(class_logits, labels['obj_class'].long())
    # tf.losses.huber_loss: weighted sum over the number of non-zero weights
    has_object = (labels['obj_class'] > 0).float()[:, None].expand_as(boxes)
    huber = F.huber_loss(boxes, labels['obj_box'], reduction='none', delta=BOX_HUBER_DELTA)
    count = has_object.sum()
    box = torch.where(count > 0, (huber * has_object).sum() / count.clamp(min=1.0),
                      torch.zeros_like(count))
    steer = F.mse_loss(steering, labels['steering'])
    reg = WEIGHT_DECAY * sum(0.5 * (w ** 2).sum() for w in model.regularized_weights())
    total = (weights['lane'] * lane + weights['class'] * cls + weights['box'] * box
             + weights['steer'] * steer + reg)
    return {'lane': lane, 'class': cls, 'box': box, 'steer': steer, 'reg': reg, 'total': total}


class TFAdam(torch.optim.Optimizer):
    """Adam as tf.train.AdamOptimizer / Keras compute it.

    ``lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)``;
    ``p -= lr_t * m / (sqrt(v) + eps)`` -- epsilon is "epsilon hat", added before the
    bias correction (torch.optim.Adam adds it to sqrt(v_hat)).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=ADAM_EPSILON):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group['betas']
            for p in group['params']:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state['step'] = 0
                    state['m'] = torch.zeros_like(p)
                    state['v'] = torch.zeros_like(p)
                state['step'] += 1
                t = state['step']
                m, v, g = state['m'], state['v'], p.grad
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                lr_t = group['lr'] * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
                p.addcdiv_(m, v.sqrt().add_(group['eps']), value=-lr_t)
        return loss


def make_optimizer(params, learning_rate=2e-3):
    return TFAdam(params, lr=learning_rate)


def to_torch_frames(frames):
    """numpy/TF layout [N, T, H, W, 3] -> [N, 3, T, H, W]."""
    return torch.as_tensor(frames).permute(0, 4, 1, 2, 3).contiguous()


def build_model():
    """Factory for the equivalence checker: the module (inference and training)."""
    return DrivingNet()
