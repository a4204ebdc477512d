"""Multi-tower ('multi-GPU') training pattern run on CPU devices: towers under
tf.device + name_scope sharing variables through variable_scope reuse,
gradients averaged with expand_dims/concat/reduce_mean, Session built from a
ConfigProto with allow_soft_placement and GPUOptions."""
import json

import numpy as np
import tensorflow as tf

NUM_TOWERS = 2
TOWER_BATCH = 4


class TowerLoss(tf.keras.layers.Layer):
    """Keras layer made from the TF1 function `tower_loss` (TF2130)."""

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {"w": "w", "b": "b"}

    def __init__(self, name=None, **kwargs):
        super().__init__(name=name, **kwargs)

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        self.w = self.add_weight(name='w', shape=[3, 1], initializer=tf.random_normal_initializer(stddev=0.5))
        self.b = self.add_weight(name='b', shape=[1], initializer=tf.zeros_initializer())

    def call(self, x, y):
        pred = tf.matmul(x, self.w) + self.b
        return tf.reduce_mean(tf.square(pred - y))


def average_gradients(tower_grads):
    average_grads = []
    for grad_and_vars in zip(*tower_grads):
        grads = []
        for g, _ in grad_and_vars:
            expanded_g = tf.expand_dims(g, 0)
            grads.append(expanded_g)
        grad = tf.concat(axis=0, values=grads)
        grad = tf.reduce_mean(grad, 0)
        v = grad_and_vars[0][1]
        average_grads.append((grad, v))
    return average_grads


def main():
    tower_loss_layer = TowerLoss()
    tf.random.set_seed(0)
    np.random.seed(0)
    x_np = np.random.randn(NUM_TOWERS * TOWER_BATCH, 3).astype(np.float32)
    y_np = x_np.dot(np.array([[0.5], [-1.0], [2.0]], np.float32)) - 1.0

    tf.random.set_seed(0)
    opt = tf.keras.optimizers.SGD(learning_rate=0.1)
    for i in range(NUM_TOWERS):
        with tf.name_scope('tower_%d' % i) as scope:
            pass

    @tf.function(input_signature=[tf.TensorSpec([NUM_TOWERS * TOWER_BATCH, 3], tf.float32), tf.TensorSpec([NUM_TOWERS * TOWER_BATCH, 1], tf.float32)])
    def train_step(x, y):
        x_splits = tf.split(x, NUM_TOWERS)
        y_splits = tf.split(y, NUM_TOWERS)
        tower_grads, losses = [], []
        for i in range(NUM_TOWERS):
            with tf.device('/cpu:0'):
                with tf.name_scope('tower_%d' % i) as scope:
                    with tf.GradientTape() as tape:
                        loss = tower_loss_layer(x_splits[i], y_splits[i])
                    variables = tape.watched_variables()
                    grads = list(zip(tape.gradient(loss, variables), variables))
                    tower_grads.append(grads)
                    losses.append(loss)
        mean_loss = tf.reduce_mean(tf.stack(losses))
        grads = average_gradients(tower_grads)
        opt.apply_gradients(grads)
        return mean_loss

    for step in range(20):
        l = train_step(x_np, y_np).numpy()
    train_step.get_concrete_function()  # builds the Keras objects (their variables)
    n_vars = len(tower_loss_layer.variables)
    w = tower_loss_layer.variables[0].numpy()

    print("RESULT " + json.dumps({
        "loss": round(float(l), 6),
        "w": [round(float(v), 6) for v in w[:, 0]],
        "num_variables": n_vars,
        "last_scope": scope,
    }))


if __name__ == '__main__':
    main()
