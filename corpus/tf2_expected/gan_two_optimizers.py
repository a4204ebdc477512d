"""Tiny 1-D GAN: generator and discriminator in variable scopes, two optimizers.

Each optimizer gets the var_list of its own scope via tf.get_collection; the
discriminator is applied twice with reuse=True.
"""
import json

import numpy as np
import tensorflow as tf

tf.random.set_seed(0)
np.random.seed(0)

Z_DIM = 4
H_DIM = 16
BATCH = 8


def xavier_init(size):
    in_dim = size[0]
    xavier_stddev = 1. / tf.sqrt(in_dim / 2.)
    return tf.random.normal(shape=size, stddev=xavier_stddev)


class Generator(tf.keras.layers.Layer):
    """Keras layer made from the TF1 function `generator` (TF2130)."""

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {
        "generator/G_W1": "G_W1",
        "generator/G_b1": "G_b1",
        "generator/G_W2": "G_W2",
        "generator/G_b2": "G_b2",
    }

    def __init__(self, name='generator', **kwargs):
        super().__init__(name=name, **kwargs)

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        self.G_W1 = tf.keras.Variable(xavier_init([Z_DIM, H_DIM]), name='G_W1')
        self.G_b1 = tf.keras.Variable(tf.zeros(shape=[H_DIM]), name='G_b1')
        self.G_W2 = tf.keras.Variable(xavier_init([H_DIM, 1]), name='G_W2')
        self.G_b2 = tf.keras.Variable(tf.zeros(shape=[1]), name='G_b2')

    def call(self, z):
        G_h1 = tf.nn.relu(tf.matmul(z, self.G_W1) + self.G_b1)
        return tf.matmul(G_h1, self.G_W2) + self.G_b2


class Discriminator(tf.keras.layers.Layer):
    """Keras layer made from the TF1 function `discriminator` (TF2130)."""

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {
        "discriminator/w1": "w1",
        "discriminator/b1": "b1",
        "discriminator/w2": "w2",
        "discriminator/b2": "b2",
    }

    def __init__(self, name='discriminator', **kwargs):
        super().__init__(name=name, **kwargs)

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        self.w1 = self.add_weight(name='w1', shape=[1, H_DIM], initializer=tf.random_normal_initializer(stddev=0.5))
        self.b1 = self.add_weight(name='b1', shape=[H_DIM], initializer=tf.constant_initializer(0.0))
        self.w2 = self.add_weight(name='w2', shape=[H_DIM, 1], initializer=tf.random_normal_initializer(stddev=0.5))
        self.b2 = self.add_weight(name='b2', shape=[1], initializer=tf.constant_initializer(0.0))

    def call(self, x):
        h1 = tf.nn.relu(tf.matmul(x, self.w1) + self.b1)
        logit = tf.matmul(h1, self.w2) + self.b2
        prob = tf.nn.sigmoid(logit)
        return prob, logit


def sample_z(m, n):
    return np.random.uniform(-1., 1., size=[m, n]).astype(np.float32)


def main():
    generator_layer = Generator()
    discriminator_layer = Discriminator()

    optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.5, epsilon=1e-08)
    optimizer_2 = tf.keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.5, epsilon=1e-08)

    @tf.function(input_signature=[tf.TensorSpec([None, 1], tf.float32), tf.TensorSpec([None, Z_DIM], tf.float32)])
    def D_solver_step(X, Z):
        with tf.GradientTape() as tape:
            G_sample = generator_layer(Z)
            D_real, D_logit_real = discriminator_layer(X)
            D_fake, D_logit_fake = discriminator_layer(G_sample)
            D_loss_real = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                logits=D_logit_real, labels=tf.ones_like(D_logit_real)))
            D_loss_fake = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                logits=D_logit_fake, labels=tf.zeros_like(D_logit_fake)))
            D_loss = D_loss_real + D_loss_fake
        variables = discriminator_layer.trainable_variables
        gradients = tape.gradient(D_loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return D_loss

    @tf.function(input_signature=[tf.TensorSpec([None, Z_DIM], tf.float32)])
    def G_solver_step(Z):
        with tf.GradientTape() as tape:
            G_sample = generator_layer(Z)
            D_fake, D_logit_fake = discriminator_layer(G_sample)
            G_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                logits=D_logit_fake, labels=tf.ones_like(D_logit_fake)))
        variables = generator_layer.trainable_variables
        gradients = tape.gradient(G_loss, variables)
        optimizer_2.apply_gradients(zip(gradients, variables))
        return G_loss

    @tf.function(input_signature=[tf.TensorSpec([None, Z_DIM], tf.float32)])
    def compute_G_sample(Z):
        return generator_layer(Z)

    @tf.function(input_signature=[tf.TensorSpec([None, 1], tf.float32), tf.TensorSpec([None, Z_DIM], tf.float32)])
    def compute_D_loss_G_loss(X, Z):
        G_sample = generator_layer(Z)
        D_real, D_logit_real = discriminator_layer(X)
        D_fake, D_logit_fake = discriminator_layer(G_sample)
        D_loss_real = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
            logits=D_logit_real, labels=tf.ones_like(D_logit_real)))
        D_loss_fake = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
            logits=D_logit_fake, labels=tf.zeros_like(D_logit_fake)))
        D_loss = D_loss_real + D_loss_fake
        G_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
            logits=D_logit_fake, labels=tf.ones_like(D_logit_fake)))
        return D_loss, G_loss

    D_solver_step.get_concrete_function()  # builds the Keras objects (their variables)
    d_vars = discriminator_layer.trainable_variables
    g_vars = generator_layer.trainable_variables

    # the noise for the run is drawn once, up front, from numpy
    real = (np.random.randn(20, BATCH, 1) * 0.5 + 2.0).astype(np.float32)
    noise = [sample_z(BATCH, Z_DIM) for _ in range(20)]

    for it in range(20):
        D_loss_curr = D_solver_step(real[it], noise[it]).numpy()
        G_loss_curr = G_solver_step(noise[it]).numpy()
        if it % 10 == 0:
            print('Iter: {}  D loss: {:.4}  G_loss: {:.4}'.format(it, D_loss_curr, G_loss_curr))
    samples = compute_G_sample(noise[0]).numpy()
    d_loss, g_loss = [t.numpy() for t in compute_D_loss_G_loss(real[0], noise[0])]
    print("RESULT " + json.dumps({
        "d_loss": round(float(d_loss), 6),
        "g_loss": round(float(g_loss), 6),
        "samples": [round(float(v), 6) for v in samples[:5, 0]],
        "n_d_vars": len(d_vars),
        "n_g_vars": len(g_vars),
    }))


if __name__ == '__main__':
    main()
