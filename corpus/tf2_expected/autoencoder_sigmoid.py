"""Fully connected autoencoder with sigmoid units, name_scope'd encoder/decoder,
squared error via tf.pow and RMSPropOptimizer."""
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


tf.random.set_seed(0)

learning_rate = 0.05
num_steps = 20
num_input = 16
num_hidden_1 = 8
num_hidden_2 = 4

weights = {
    'encoder_h1': tf.Variable(tf.random.normal([num_input, num_hidden_1])),
    'encoder_h2': tf.Variable(tf.random.normal([num_hidden_1, num_hidden_2])),
    'decoder_h1': tf.Variable(tf.random.normal([num_hidden_2, num_hidden_1])),
    'decoder_h2': tf.Variable(tf.random.normal([num_hidden_1, num_input])),
}
biases = {
    'encoder_b1': tf.Variable(tf.random.normal([num_hidden_1])),
    'encoder_b2': tf.Variable(tf.random.normal([num_hidden_2])),
    'decoder_b1': tf.Variable(tf.random.normal([num_hidden_1])),
    'decoder_b2': tf.Variable(tf.random.normal([num_input])),
}


def encoder(x):
    with tf.name_scope('encoder'):
        layer_1 = tf.nn.sigmoid(tf.add(tf.matmul(x, weights['encoder_h1']),
                                       biases['encoder_b1']))
        layer_2 = tf.nn.sigmoid(tf.add(tf.matmul(layer_1, weights['encoder_h2']),
                                       biases['encoder_b2']))
    return layer_2


def decoder(x):
    with tf.name_scope('decoder'):
        layer_1 = tf.sigmoid(tf.add(tf.matmul(x, weights['decoder_h1']),
                                    biases['decoder_b1']))
        layer_2 = tf.sigmoid(tf.add(tf.matmul(layer_1, weights['decoder_h2']),
                                    biases['decoder_b2']))
    return layer_2


optimizer_2 = TF1RMSProp(learning_rate)


def forward(X):
    encoder_op = encoder(X)
    decoder_op = decoder(encoder_op)
    y_pred = decoder_op
    y_true = X
    loss = tf.reduce_mean(tf.pow(y_true - y_pred, 2))
    return encoder_op, decoder_op, loss


@tf.function(input_signature=[tf.TensorSpec([None, num_input], "float")])
def train_step(X):
    with tf.GradientTape() as tape:
        encoder_op, decoder_op, loss = forward(X)
    variables = tape.watched_variables()
    gradients = tape.gradient(loss, variables)
    optimizer_2.apply_gradients(zip(gradients, variables))
    return loss


@tf.function(input_signature=[tf.TensorSpec([None, num_input], "float")])
def compute_encoder_op_decoder_op_loss(X):
    encoder_op, decoder_op, loss = forward(X)
    return encoder_op, decoder_op, loss


def main():
    np.random.seed(0)
    batch_x = (np.random.rand(8, num_input) > 0.5).astype(np.float32)
    for i in range(1, num_steps + 1):
        l = train_step(batch_x).numpy()
        if i % 10 == 0 or i == 1:
            print('Step %i: Minibatch Loss: %f' % (i, l))
    code, recon, l = [t.numpy() for t in compute_encoder_op_decoder_op_loss(batch_x)]
    print("RESULT " + json.dumps({
        "loss": round(float(l), 6),
        "code0": [round(float(v), 6) for v in code[0]],
        "recon0": [round(float(v), 6) for v in recon[0][:5]],
    }))


if __name__ == '__main__':
    main()
