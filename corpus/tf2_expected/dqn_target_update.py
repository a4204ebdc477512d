"""DQN-style update: online and target Q-networks in separate variable scopes,
the target refreshed with tf.assign ops over scope collections, Q(s, a)
selected with a one_hot action mask, Huber loss, RMSPropOptimizer."""
import json

import numpy as np
import tensorflow as tf


class TF1RMSProp(tf.Module):
    """TF1's tf.train.RMSPropOptimizer update rule, for eager TF2 (what the TF1 program computed).

    Per variable: ms += (g*g - ms) * (1 - decay), with ms starting at ONE;
    mom = mom * momentum + g * lr / sqrt(ms + epsilon); var -= mom. Centered: also
    mg += (g - mg) * (1 - decay) and sqrt(ms - mg*mg + epsilon). Callable hyperparameters
    are called at every apply_gradients; global_step, when given, is advanced by one.
    tf.keras.optimizers.RMSprop(rho=decay, momentum=..., epsilon=..., centered=...) differs:
    its mean square starts at zero, so its first updates are about lr*sign(g)/sqrt(1 - decay)
    where TF1's are about lr*g. Switch to it if that difference is acceptable.
    """

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, centered=False, name="RMSProp"):
        super().__init__(name=name)
        self.learning_rate = learning_rate
        self.decay = decay
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        self.slots = []  # per variable [ms, mom] (and mg when centered), made at its first update
        self._slot_index = {}

    def _slots_of(self, var):
        if var.ref() not in self._slot_index:
            with tf.init_scope():
                made = [tf.Variable(tf.ones(var.shape, var.dtype), trainable=False),
                        tf.Variable(tf.zeros(var.shape, var.dtype), trainable=False)]
                if self.centered:
                    made.append(tf.Variable(tf.zeros(var.shape, var.dtype), trainable=False))
            self._slot_index[var.ref()] = len(self.slots)
            self.slots.append(made)
        return self.slots[self._slot_index[var.ref()]]

    def apply_gradients(self, grads_and_vars, global_step=None):
        hyper = [h() if callable(h) else h for h in (self.learning_rate, self.decay, self.momentum, self.epsilon)]
        for grad, var in grads_and_vars:
            if grad is None:
                continue
            if isinstance(grad, tf.IndexedSlices):
                raise TypeError("TF1 RMSProp updated only the rows of a sparse gradient; not reproduced here")
            lr, decay, momentum, epsilon = (tf.cast(h, var.dtype) for h in hyper)
            ms, mom, *mg = self._slots_of(var)
            ms.assign_add((tf.square(grad) - ms) * (1 - decay))
            denominator = ms + epsilon
            if self.centered:
                mg[0].assign_add((grad - mg[0]) * (1 - decay))
                denominator = ms - tf.square(mg[0]) + epsilon
            mom.assign(mom * momentum + grad * lr / tf.sqrt(denominator))
            var.assign_sub(mom)
        if global_step is not None:
            global_step.assign_add(1)


STATE_DIM = 4
NUM_ACTIONS = 3
GAMMA = 0.9


class QNetwork(tf.keras.layers.Layer):
    """Keras layer made from the TF1 function `q_network` (TF2130)."""

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {
        "h1/kernel": "h1/kernel",
        "h1/bias": "h1/bias",
        "q/kernel": "q/kernel",
        "q/bias": "q/bias",
    }

    def __init__(self, trainable=True, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.trainable = trainable
        self.h1 = tf.keras.layers.Dense(16, activation=tf.nn.relu, trainable=trainable, kernel_initializer=tf.random_normal_initializer(stddev=0.3), name='h1')
        self.q = tf.keras.layers.Dense(NUM_ACTIONS, trainable=trainable, kernel_initializer=tf.random_normal_initializer(stddev=0.3), name='q')

    def call(self, states):
        h = self.h1(states)
        return self.q(h)


def copy_params(src_scope, dst_scope):
    src = src_scope.variables
    dst = dst_scope.variables
    for s, d in zip(src, dst):
        d.assign(s)


def main():
    q_network_layer = QNetwork(name='online')
    q_network_layer_1 = QNetwork(name='target', trainable=False)
    tf.random.set_seed(0)
    np.random.seed(0)
    s_np = np.random.randn(8, STATE_DIM).astype(np.float32)
    a_np = np.random.randint(0, NUM_ACTIONS, size=8).astype(np.int32)
    r_np = np.random.rand(8).astype(np.float32)
    s2_np = np.random.randn(8, STATE_DIM).astype(np.float32)
    done_np = (np.arange(8) % 4 == 3).astype(np.float32)
    optimizer = TF1RMSProp(0.01, decay=0.95, epsilon=0.01)

    @tf.function(input_signature=[tf.TensorSpec([None, STATE_DIM], tf.float32), tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.float32), tf.TensorSpec([None, STATE_DIM], tf.float32), tf.TensorSpec([None], tf.float32)])
    def train_step(states, actions, rewards, next_states, done):
        with tf.GradientTape() as tape:
            q = q_network_layer(states)
            q_next = q_network_layer_1(next_states)
            target = rewards + GAMMA * (1.0 - done) * tf.reduce_max(q_next, axis=1)
            target = tf.stop_gradient(target)
            q_sa = tf.reduce_sum(q * tf.one_hot(actions, NUM_ACTIONS), axis=1)
            loss = tf.keras.losses.Huber()(target, q_sa)
        variables = [v.value for v in q_network_layer.trainable_variables]
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))

    @tf.function
    def compute_update_target():
        # built before the optimizer, so its slot variables are not in the scopes yet
        copy_params(q_network_layer, q_network_layer_1)

    @tf.function(input_signature=[tf.TensorSpec([None, STATE_DIM], tf.float32), tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.float32), tf.TensorSpec([None, STATE_DIM], tf.float32), tf.TensorSpec([None], tf.float32)])
    def compute_loss_q(states, actions, rewards, next_states, done):
        q = q_network_layer(states)
        q_next = q_network_layer_1(next_states)
        target = rewards + GAMMA * (1.0 - done) * tf.reduce_max(q_next, axis=1)
        target = tf.stop_gradient(target)
        q_sa = tf.reduce_sum(q * tf.one_hot(actions, NUM_ACTIONS), axis=1)
        loss = tf.keras.losses.Huber()(target, q_sa)
        return loss, q

    train_step.get_concrete_function()  # builds the Keras objects (their variables)
    online_vars = q_network_layer.trainable_variables

    feed = {"states": s_np, "actions": a_np, "rewards": r_np, "next_states": s2_np, "done": done_np}
    compute_update_target()
    for step in range(12):
        train_step(**feed)
        if step % 4 == 3:
            compute_update_target()
    l, q_v = [t.numpy() for t in compute_loss_q(**feed)]
    print("RESULT " + json.dumps({
        "loss": round(float(l), 6),
        "q0": [round(float(v), 6) for v in q_v[0]],
        "num_online_vars": len(online_vars),
    }))


if __name__ == '__main__':
    main()
