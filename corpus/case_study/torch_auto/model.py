"""DrivingNet in TensorFlow 2 / Keras: multi-task driving perception (lane
segmentation, lead vehicle detection, steering) over a short clip of camera frames.

The finished TF2 version of ``corpus/case_study/tf1/model.py``: one Keras functional
model instead of a graph built under variable scopes. It computes what the TF1 graph
computes and loads its checkpoints (see ``corpus/case_study/reproduce.py``).

  frames [N, T, 33, 64, 3] (T=4, frames[:, -1] is the current frame), folded to [N*T, ...]
    -> stem_conv0: 5x5/2 conv, ReLU (one layer: the weights are shared by every frame)
    -> conv1..conv4: conv-BN-ReLU blocks                      fine = conv3, coarse = conv4
  current frame only:
    lane head:   3x3 conv + 1x1 conv on 'fine'      -> lane_logits [N, 9, 16]
    detect head: 2x2/2 max-pool, FC 64, dropout     -> class_logits [N, 3], boxes [N, 4]
  every frame:
    steering head: global average pool, per-frame FC 32, LSTM(32) over T frames,
                   FC 1 -> steering [N]
"""
import tensorflow as tf
import torch
import torch.nn.functional as F

keras = tf.keras

IMAGE_HEIGHT = 33
IMAGE_WIDTH = 64
NUM_FRAMES = 4
NUM_CLASSES = 3            # none, car, truck
LANE_STRIDE = 4            # lane map resolution = image / 4 (rounded up)
LSTM_UNITS = 32
WEIGHT_DECAY = 1e-4        # TF1: WEIGHT_DECAY * tf.nn.l2_loss(w) = WEIGHT_DECAY / 2 * sum(w**2)
BN_MOMENTUM = 0.9
BN_EPSILON = 1e-3
DROPOUT_RATE = 0.3
BOX_HUBER_DELTA = 0.1
ADAM_EPSILON = 1e-8        # tf.train.AdamOptimizer's default (Keras: 1e-7)
LOSS_WEIGHTS = {'lane': 1.0, 'class': 0.5, 'box': 5.0, 'steer': 2.0}
OUTPUT_NAMES = ('lane_logits', 'class_logits', 'boxes', 'steering')


def l2():
    # keras.regularizers.L2(l) adds l * sum(w**2); TF1's l2_loss halves it
    return keras.regularizers.L2(WEIGHT_DECAY / 2)


class BatchNorm(keras.layers.BatchNormalization):
    """BatchNormalization whose moving variance follows TF1's fused batch norm.

    Keras 3 updates ``moving_variance`` with the biased batch variance; the fused
    kernel behind ``tf.layers.batch_normalization`` uses the unbiased one
    (``n / (n - 1)`` larger). Normalization itself uses the biased variance in both.
    """

    def call(self, inputs, training=None, mask=None):
        if not training:
            return super().call(inputs, training=False)
        mean, variance = tf.nn.moments(inputs, axes=[0, 1, 2])
        n = tf.cast(tf.size(inputs) // tf.shape(inputs)[-1], inputs.dtype)
        unbiased = variance * n / tf.maximum(n - 1.0, 1.0)
        decay = 1.0 - self.momentum
        self.moving_mean.assign_sub((self.moving_mean - mean) * decay)
        self.moving_variance.assign_sub((self.moving_variance - unbiased) * decay)
        return tf.nn.batch_normalization(inputs, mean, variance, self.beta, self.gamma,
                                         self.epsilon)


def conv_bn_relu(net, filters, kernel_size, strides=1, name=None):
    net = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding='same',
                              use_bias=False, kernel_initializer='variance_scaling',
                              kernel_regularizer=l2(), name=name)(net)
    net = BatchNorm(momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name=name + '_bn')(net)
    return torch.relu(net)


def current_frame(features, num_frames):
    """The last frame's feature map out of a [N*T, ...] batch."""
    clips = torch.reshape(features, (-1, num_frames) + tuple(features.shape[1:]))
    return clips[:, -1]


def build_keras_model(num_frames=NUM_FRAMES, height=IMAGE_HEIGHT, width=IMAGE_WIDTH):
    frames = keras.Input((num_frames, height, width, 3), name='frames')
    net = (frames - 0.5) * 2.0
    net = torch.reshape(net, (-1, height, width, 3))            # [N*T, H, W, 3]
    # backbone
    net = keras.layers.Conv2D(16, 5, strides=2, padding='same', activation='relu',
                              kernel_initializer='variance_scaling', kernel_regularizer=l2(),
                              name='stem_conv0')(net)
    net = conv_bn_relu(net, 16, 3, name='conv1')
    net = conv_bn_relu(net, 32, 3, strides=2, name='conv2')
    fine = conv_bn_relu(net, 32, 3, name='conv3')
    coarse = conv_bn_relu(fine, 32, 3, strides=2, name='conv4')
    # lane head
    net = keras.layers.Conv2D(16, 3, padding='same', activation='relu',
                              kernel_initializer='variance_scaling', kernel_regularizer=l2(),
                              name='lane_conv')(current_frame(fine, num_frames))
    net = keras.layers.Conv2D(1, 1, name='lane_logits_conv')(net)
    lane_logits = keras.layers.Reshape(tuple(net.shape[1:3]), name='lane_logits')(net)
    # detection head
    net = keras.layers.MaxPooling2D(2, strides=2, padding='same', name='detect_pool')(
        current_frame(coarse, num_frames))
    net = keras.layers.Flatten(name='detect_flatten')(net)
    net = keras.layers.Dense(64, activation='relu', kernel_regularizer=l2(), name='detect_fc')(net)
    net = keras.layers.Dropout(DROPOUT_RATE, name='detect_dropout')(net)
    class_logits = keras.layers.Dense(NUM_CLASSES, name='class_logits')(net)
    boxes = torch.sigmoid(keras.layers.Dense(4, name='box')(net))
    # steering head
    pooled = keras.layers.GlobalAveragePooling2D(name='steer_pool')(coarse)  # [N*T, c]
    pooled = torch.reshape(pooled, (-1, num_frames, pooled.shape[-1]))
    embedded = keras.layers.Dense(LSTM_UNITS, activation='relu', kernel_regularizer=l2(),
                                  name='frame_embed')(pooled)                # [N, T, units]
    last = keras.layers.LSTM(LSTM_UNITS, name='lstm')(embedded)
    angle = keras.layers.Dense(1, name='angle')(last)
    steering = keras.layers.Reshape((), name='steering')(angle)
    return keras.Model(frames, [lane_logits, class_logits, boxes, steering], name='drivenet')


def lane_targets(lane_mask):
    """Full-resolution lane mask [N, H, W] -> [N, H/4, W/4] (a cell is lane if any pixel is)."""
    mask = tf.nn.max_pool2d(lane_mask[..., None], LANE_STRIDE, LANE_STRIDE, padding='SAME')
    return mask[..., 0]


def losses(model, outputs, labels, weights=None):
    """Per-head losses, the L2 weight decay and their weighted sum (TF1 reductions)."""
    weights = dict(LOSS_WEIGHTS, **(weights or {}))
    lane_logits, class_logits, boxes, steering = outputs
    lane = torch.mean(F.binary_cross_entropy_with_logits(lane_logits, lane_targets(labels['lane_mask']), reduction='none'))
    cls = torch.mean(F.cross_entropy(class_logits, labels['obj_class'].long(), reduction='none'))
    # tf.losses.huber_loss: weighted sum over the number of non-zero weights
    has_object = torch.as_tensor(labels['obj_class'] > 0, dtype=torch.float32)[:, None] * torch.ones_like(boxes)
    err = torch.abs(labels['obj_box'] - boxes)
    quad = torch.clamp(err, max=BOX_HUBER_DELTA)
    huber = 0.5 * quad ** 2 + BOX_HUBER_DELTA * (err - quad)
    box = tf.math.divide_no_nan(torch.sum(huber * has_object),
                                torch.sum(torch.as_tensor(has_object > 0, dtype=torch.float32)))
    steer = torch.mean(torch.square(labels['steering'] - steering))
    reg = torch.stack(model.losses).sum(dim=0)
    total = (weights['lane'] * lane + weights['class'] * cls + weights['box'] * box
             + weights['steer'] * steer + reg)
    return {'lane': lane, 'class': cls, 'box': box, 'steer': steer, 'reg': reg, 'total': total}


def make_optimizer(learning_rate=2e-3):
    return keras.optimizers.Adam(learning_rate, epsilon=ADAM_EPSILON)


def build_model():
    """Factory for the equivalence checker: the Keras model (inference and training)."""
    return build_keras_model()
