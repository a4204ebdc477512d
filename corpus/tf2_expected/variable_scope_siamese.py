"""Siamese network: one variable_scope tower function shared with reuse=True.

get_variable with truncated_normal / constant / zeros initializers, contrastive
loss, and a second helper that uses tf.AUTO_REUSE.
"""
import json

import numpy as np
import tensorflow as tf


class FcLayer(tf.keras.layers.Layer):
    """Keras layer made from the TF1 function `fc_layer` (TF2130)."""

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {"W": "W", "b": "b"}

    def __init__(self, n_out, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.n_out = n_out

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        n_in = input_shape[-1]
        self.W = self.add_weight(name='W', shape=[n_in, self.n_out], dtype=tf.float32, initializer=tf.keras.initializers.TruncatedNormal(stddev=0.1))
        self.b = self.add_weight(name='b', shape=[self.n_out], dtype=tf.float32, initializer=tf.constant_initializer(0.01))

    def call(self, bottom):
        return tf.nn.bias_add(tf.matmul(bottom, self.W), self.b)


class Tower(tf.keras.layers.Layer):
    """Keras layer made from the TF1 function `tower` (TF2130)."""

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {
        "siamese/fc1/W": "fc1/W",
        "siamese/fc1/b": "fc1/b",
        "siamese/fc2/W": "fc2/W",
        "siamese/fc2/b": "fc2/b",
        "siamese/fc3/W": "fc3/W",
        "siamese/fc3/b": "fc3/b",
    }

    def __init__(self, name='siamese', **kwargs):
        super().__init__(name=name, **kwargs)
        self.fc1 = FcLayer(n_out=16, name='fc1')
        self.fc2 = FcLayer(n_out=16, name='fc2')
        self.fc3 = FcLayer(n_out=4, name='fc3')

    def call(self, x):
        h = tf.nn.relu(self.fc1(x))
        h = tf.nn.relu(self.fc2(h))
        return self.fc3(h)


class ScaleShift(tf.keras.layers.Layer):
    """Keras layer made from the TF1 function `scale_shift` (TF2130)."""

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {"norm/gamma": "gamma", "norm/beta": "beta"}

    def __init__(self, name='norm', **kwargs):
        super().__init__(name=name, **kwargs)

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        self.gamma = self.add_weight(name='gamma', shape=[input_shape[-1]], initializer=tf.ones_initializer())
        self.beta = self.add_weight(name='beta', shape=[input_shape[-1]], initializer=tf.zeros_initializer())

    def call(self, x):
        return x * self.gamma + self.beta


def contrastive_loss(o1, o2, y, margin=1.0):
    d2 = tf.reduce_sum(tf.pow(o1 - o2, 2), 1)
    d = tf.sqrt(d2 + 1e-6)
    pos = y * tf.square(d)
    neg = (1.0 - y) * tf.square(tf.maximum(margin - d, 0.0))
    return tf.reduce_mean(pos + neg) / 2.0


def main():
    tower_layer = Tower()
    scale_shift_layer = ScaleShift()
    tf.random.set_seed(0)
    np.random.seed(0)
    a = np.random.randn(8, 6).astype(np.float32)
    b = a + 0.1 * np.random.randn(8, 6).astype(np.float32)
    b[4:] = np.random.randn(4, 6)
    same = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=np.float32)

    optimizer = tf.keras.optimizers.SGD(learning_rate=0.05)

    def forward(x1, x2, y):
        o1 = scale_shift_layer(tower_layer(x1))
        o2 = scale_shift_layer(tower_layer(x2))
        loss = contrastive_loss(o1, o2, y)
        return o1, loss

    @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32), tf.TensorSpec([None, 6], tf.float32), tf.TensorSpec([None], tf.float32)])
    def train_step(x1, x2, y):
        with tf.GradientTape() as tape:
            o1, loss = forward(x1, x2, y)
        variables = tape.watched_variables()
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return loss

    @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32), tf.TensorSpec([None, 6], tf.float32), tf.TensorSpec([None], tf.float32)])
    def compute_loss_o1(x1, x2, y):
        o1, loss = forward(x1, x2, y)
        return loss, o1

    train_step.get_concrete_function()  # builds the Keras objects (their variables)
    var_names = [v.name for v in tower_layer.trainable_variables + scale_shift_layer.trainable_variables]
    print('\n'.join(var_names))
    for i in range(20):
        l = train_step(a, b, same).numpy()
    final, emb = [t.numpy() for t in compute_loss_o1(a, b, same)]
    print("RESULT " + json.dumps({
        "loss": round(float(final), 6),
        "emb0": [round(float(v), 6) for v in emb[0]],
        "num_trainable": len(var_names),
    }))


if __name__ == '__main__':
    main()
