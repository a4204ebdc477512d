"""DrivingNet: multi-task driving perception graph (lane segmentation, lead
vehicle detection, steering) over a short clip of camera frames.

Graph layout (all variables under the 'drivenet' scope):

  frames [N, T, 33, 64, 3] (T=4, frames[:, -1] is the current frame)
    -> stem: 5x5/2 conv, ReLU; applied to every frame, weights shared
       (get_variable + tf.nn.conv2d, variable_scope reuse)      -> [N*T, 17, 32, 16]
    -> backbone: conv-BN-ReLU blocks (tf.layers, shared arg_scope) on the
       frames folded into the batch                 conv1 3x3/1 -> [N*T, 17, 32, 16]
                                                    conv2 3x3/2 -> [N*T,  9, 16, 32]
                                                    conv3 3x3/1 -> [N*T,  9, 16, 32]  (fine)
                                                    conv4 3x3/2 -> [N*T,  5,  8, 32]  (coarse)
  current frame only:
    lane head:   3x3 conv + 1x1 conv on 'fine'      -> lane_logits [N, 9, 16]
    detect head: 2x2/2 max-pool, FC 64, dropout     -> class_logits [N, 3], boxes [N, 4]
  every frame:
    steering head: global average pool, per-frame FC 32 (reused), BasicLSTMCell(32)
                   with dynamic_rnn over T frames, FC 1 -> steering [N]

The image is 33 pixels high and 64 wide, so the stride-2 'SAME' convolutions
pad symmetrically along the height (odd) and asymmetrically (one more pixel at
the bottom/right) along the width (even).

Batch norm: the backbone runs once on the folded [N*T, ...] batch, so each
training step makes one moving-average update per BN layer (running the
backbone once per frame with reuse would queue T racing updates of the same
moving averages).
"""
import contextlib
import functools

import tensorflow as tf

tf.compat.v1.disable_v2_behavior()

IMAGE_HEIGHT = 33
IMAGE_WIDTH = 64
NUM_FRAMES = 4
NUM_CLASSES = 3            # none, car, truck
LANE_STRIDE = 4            # lane map resolution = image / 4 (rounded up)
LSTM_UNITS = 32
WEIGHT_DECAY = 1e-4
BN_MOMENTUM = 0.9
BN_EPSILON = 1e-3
DROPOUT_RATE = 0.3
BOX_HUBER_DELTA = 0.1
LOSS_WEIGHTS = {'lane': 1.0, 'class': 0.5, 'box': 5.0, 'steer': 2.0}


# --------------------------------------------------------------------------
# A small stand-in for slim's arg_scope (tf.contrib is gone): functions
# decorated with @add_arg_scope take their keyword defaults from the innermost
# enclosing arg_scope that lists them.

_ARG_SCOPE_STACK = [{}]


def _key(op):
    return getattr(op, '_arg_scope_key', op)


def add_arg_scope(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        defaults = _ARG_SCOPE_STACK[-1].get(_key(wrapper), {})
        merged = dict(defaults)
        merged.update(kwargs)
        return func(*args, **merged)
    wrapper._arg_scope_key = func
    return wrapper


@contextlib.contextmanager
def arg_scope(ops, **kwargs):
    current = dict(_ARG_SCOPE_STACK[-1])
    for op in ops:
        merged = dict(current.get(_key(op), {}))
        merged.update(kwargs)
        current[_key(op)] = merged
    _ARG_SCOPE_STACK.append(current)
    try:
        yield current
    finally:
        _ARG_SCOPE_STACK.pop()


def l2_regularizer(scale):
    def regularizer(weights):
        return tf.multiply(scale, tf.nn.l2_loss(weights), name='l2_loss')
    return regularizer


# --------------------------------------------------------------------------
# Layers

@add_arg_scope
def conv2d(inputs, num_outputs, kernel_size, stride=1, padding='SAME',
           activation_fn=tf.nn.relu, weights_initializer=None,
           weights_regularizer=None, reuse=None, scope=None):
    """Hand-written conv layer (weights + biases with get_variable)."""
    with tf.compat.v1.variable_scope(scope, 'Conv', [inputs], reuse=reuse):
        in_channels = inputs.get_shape().as_list()[-1]
        if weights_initializer is None:
            weights_initializer = tf.compat.v1.truncated_normal_initializer(stddev=0.1)
        weights = tf.compat.v1.get_variable(
            'weights', [kernel_size, kernel_size, in_channels, num_outputs],
            initializer=weights_initializer, regularizer=weights_regularizer)
        biases = tf.compat.v1.get_variable('biases', [num_outputs],
                                 initializer=tf.zeros_initializer())
        net = tf.nn.conv2d(inputs, weights, [1, stride, stride, 1], padding=padding)
        net = tf.nn.bias_add(net, biases)
        if activation_fn is not None:
            net = activation_fn(net)
        return net


@add_arg_scope
def conv_bn_relu(inputs, filters, kernel_size, strides=1, is_training=False,
                 kernel_regularizer=None, momentum=0.99, epsilon=1e-3, name=None):
    with tf.compat.v1.variable_scope(name):
        net = tf.compat.v1.layers.conv2d(inputs, filters, kernel_size, strides=strides,
                               padding='same', use_bias=False,
                               kernel_initializer=tf.compat.v1.variance_scaling_initializer(),
                               kernel_regularizer=kernel_regularizer, name='conv')
        net = tf.compat.v1.layers.batch_normalization(net, momentum=momentum, epsilon=epsilon,
                                            training=is_training, name='bn')
        return tf.nn.relu(net)


# --------------------------------------------------------------------------
# Network

def frame_stem(frames, weight_decay=WEIGHT_DECAY):
    """5x5/2 conv applied to each frame separately, weights shared across frames."""
    outputs = []
    for image in tf.unstack(frames, axis=1):
        with tf.compat.v1.variable_scope('stem', reuse=tf.compat.v1.AUTO_REUSE):
            net = conv2d(image, 16, 5, stride=2,
                         weights_initializer=tf.compat.v1.variance_scaling_initializer(),
                         weights_regularizer=l2_regularizer(weight_decay), scope='conv0')
        outputs.append(net)
    return tf.stack(outputs, axis=1)       # [N, T, h, w, c]


def backbone(frames, is_training, weight_decay=WEIGHT_DECAY):
    """Returns (fine, coarse) feature maps of every frame, frames folded into the batch."""
    net = (frames - 0.5) * 2.0
    net = frame_stem(net, weight_decay)
    shape = net.get_shape().as_list()
    net = tf.reshape(net, [-1] + shape[2:])           # [N*T, h, w, c]
    with tf.compat.v1.variable_scope('backbone'):
        with arg_scope([conv_bn_relu], is_training=is_training,
                       kernel_regularizer=l2_regularizer(weight_decay),
                       momentum=BN_MOMENTUM, epsilon=BN_EPSILON):
            net = conv_bn_relu(net, 16, 3, name='conv1')
            net = conv_bn_relu(net, 32, 3, strides=2, name='conv2')
            fine = conv_bn_relu(net, 32, 3, name='conv3')
            coarse = conv_bn_relu(fine, 32, 3, strides=2, name='conv4')
    return fine, coarse


def current_frame(features, num_frames):
    """The last frame's feature map out of a [N*T, ...] batch."""
    shape = features.get_shape().as_list()
    clips = tf.reshape(features, [-1, num_frames] + shape[1:])
    return clips[:, -1]


def lane_head(fine, weight_decay=WEIGHT_DECAY):
    with tf.compat.v1.variable_scope('lane_head'):
        net = conv2d(fine, 16, 3, weights_regularizer=l2_regularizer(weight_decay),
                     weights_initializer=tf.compat.v1.variance_scaling_initializer(), scope='conv')
        logits = conv2d(net, 1, 1, activation_fn=None, scope='logits')
    return tf.squeeze(logits, axis=[3], name='lane_logits')


def detection_head(coarse, is_training, num_classes=NUM_CLASSES, weight_decay=WEIGHT_DECAY):
    pool = functools.partial(tf.compat.v1.layers.max_pooling2d, pool_size=2, strides=2, padding='same')
    with tf.compat.v1.variable_scope('detect_head'):
        net = pool(coarse, name='pool')
        net = tf.compat.v1.layers.flatten(net)
        net = tf.compat.v1.layers.dense(net, 64, activation=tf.nn.relu,
                              kernel_regularizer=l2_regularizer(weight_decay), name='fc')
        net = tf.compat.v1.layers.dropout(net, rate=DROPOUT_RATE, training=is_training, name='dropout')
        class_logits = tf.compat.v1.layers.dense(net, num_classes, name='class_logits')
        box = tf.compat.v1.layers.dense(net, 4, name='box')
        box = tf.nn.sigmoid(box, name='boxes')
    return class_logits, box


def steering_head(coarse, num_frames, weight_decay=WEIGHT_DECAY):
    with tf.compat.v1.variable_scope('steer_head'):
        pooled = tf.reduce_mean(coarse, axis=[1, 2])             # [N*T, c]
        pooled = tf.reshape(pooled, [-1, num_frames, pooled.get_shape().as_list()[-1]])
        embedded = []
        for t in range(num_frames):
            with tf.compat.v1.variable_scope('frame_embed', reuse=(t > 0)):
                embedded.append(tf.compat.v1.layers.dense(
                    pooled[:, t], LSTM_UNITS, activation=tf.nn.relu,
                    kernel_regularizer=l2_regularizer(weight_decay), name='fc'))
        sequence = tf.stack(embedded, axis=1)                     # [N, T, units]
        cell = tf.compat.v1.nn.rnn_cell.BasicLSTMCell(LSTM_UNITS)
        outputs, _ = tf.compat.v1.nn.dynamic_rnn(cell, sequence, dtype=tf.float32, scope='lstm')
        last = outputs[:, -1]
        steering = tf.compat.v1.layers.dense(last, 1, name='angle')
    return tf.squeeze(steering, axis=[1], name='steering')


def inference(frames, is_training):
    """Builds the network; returns a dict of output tensors."""
    num_frames = frames.get_shape().as_list()[1]
    with tf.compat.v1.variable_scope('drivenet', values=[frames]):
        fine, coarse = backbone(frames, is_training)
        lane_logits = lane_head(current_frame(fine, num_frames))
        class_logits, boxes = detection_head(current_frame(coarse, num_frames), is_training)
        steering = steering_head(coarse, num_frames)
    return {
        'lane_logits': lane_logits,
        'class_logits': class_logits,
        'class_probs': tf.nn.softmax(class_logits, name='class_probs'),
        'boxes': boxes,
        'steering': steering,
    }


class InferenceShim(tf.keras.layers.Layer):
    """`inference` on the TF1 modeling shim (TF2131): variables are created once per object."""

    @tf.compat.v1.keras.utils.track_tf1_style_variables
    def call(self, frames, is_training):
        return inference(frames, is_training)


def lane_targets(lane_mask):
    """Full-resolution lane mask [N, H, W] -> [N, H/4, W/4] (a cell is lane if any pixel is)."""
    mask = tf.expand_dims(lane_mask, -1)
    mask = tf.nn.max_pool(mask, ksize=[1, LANE_STRIDE, LANE_STRIDE, 1],
                          strides=[1, LANE_STRIDE, LANE_STRIDE, 1], padding='SAME')
    return tf.squeeze(mask, axis=[3])


def losses(outputs, labels, weights=None):
    """Per-head losses, the L2 weight decay and their weighted sum."""
    weights = dict(LOSS_WEIGHTS, **(weights or {}))
    with tf.name_scope('losses'):
        lane = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
            labels=lane_targets(labels['lane_mask']), logits=outputs['lane_logits']))
        cls = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels['obj_class'], logits=outputs['class_logits']))
        has_object = tf.cast(tf.greater(labels['obj_class'], 0), tf.float32)
        box = tf.compat.v1.losses.huber_loss(labels['obj_box'], outputs['boxes'],
                                   weights=tf.expand_dims(has_object, 1),
                                   delta=BOX_HUBER_DELTA)
        steer = tf.reduce_mean(tf.math.squared_difference(outputs['steering'], labels['steering']))
        reg = tf.compat.v1.losses.get_regularization_loss()
        total = tf.add_n([weights['lane'] * lane, weights['class'] * cls,
                          weights['box'] * box, weights['steer'] * steer, reg],
                         name='total_loss')
    return {'lane': lane, 'class': cls, 'box': box, 'steer': steer,
            'reg': reg, 'total': total}


def placeholders(num_frames=NUM_FRAMES, height=IMAGE_HEIGHT, width=IMAGE_WIDTH):
    frames = tf.compat.v1.placeholder(tf.float32, [None, num_frames, height, width, 3], name='frames')
    labels = {
        'lane_mask': tf.compat.v1.placeholder(tf.float32, [None, height, width], name='lane_mask'),
        'obj_class': tf.compat.v1.placeholder(tf.int32, [None], name='obj_class'),
        'obj_box': tf.compat.v1.placeholder(tf.float32, [None, 4], name='obj_box'),
        'steering': tf.compat.v1.placeholder(tf.float32, [None], name='steering'),
    }
    is_training = tf.compat.v1.placeholder_with_default(False, [], name='is_training')
    return frames, labels, is_training


OUTPUT_NAMES = ('lane_logits', 'class_logits', 'boxes', 'steering')


def build_model():
    """Factory for the equivalence checker: (inputs, outputs) in the current graph.

    ``is_training`` defaults to False (inference: BN moving statistics, no dropout).
    """
    frames, _, is_training = placeholders()
    outputs = inference(frames, is_training)
    inputs = {'frames': frames, 'is_training': is_training}
    return inputs, {k: outputs[k] for k in OUTPUT_NAMES}


def build_train():
    """Like build_model, plus the label placeholders among the inputs and the total loss."""
    frames, labels, is_training = placeholders()
    outputs = inference(frames, is_training)
    loss = losses(outputs, labels)['total']
    inputs = dict(labels, frames=frames, is_training=is_training)
    return inputs, {k: outputs[k] for k in OUTPUT_NAMES}, loss
