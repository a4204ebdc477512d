"""Variational autoencoder: encoder with dropout (keep_prob=), reparameterised
sample z = mu + exp(log_sigma_sq / 2) * eps with eps from tf.random_normal,
Bernoulli reconstruction term written with tf.log and the closed-form KL."""
import json

import numpy as np
import tensorflow as tf

N_INPUT = 12
N_HIDDEN = 16
N_Z = 2
BATCH = 8


def xavier_init(fan_in, fan_out, constant=1):
    low = -constant * np.sqrt(6.0 / (fan_in + fan_out))
    high = constant * np.sqrt(6.0 / (fan_in + fan_out))
    return tf.random.uniform((fan_in, fan_out), minval=low, maxval=high, dtype=tf.float32)


def main():
    tf.random.set_seed(0)
    np.random.seed(0)
    data = (np.random.rand(BATCH, N_INPUT) > 0.6).astype(np.float32)

    w_h = tf.Variable(xavier_init(N_INPUT, N_HIDDEN), name='encoder/Variable')
    b_h = tf.Variable(tf.zeros([N_HIDDEN], dtype=tf.float32), name='encoder/Variable_1')
    w_mu = tf.Variable(xavier_init(N_HIDDEN, N_Z), name='encoder/Variable_2')
    w_sig = tf.Variable(xavier_init(N_HIDDEN, N_Z), name='encoder/Variable_3')

    w_d = tf.Variable(xavier_init(N_Z, N_INPUT), name='decoder/Variable')
    b_d = tf.Variable(tf.zeros([N_INPUT], dtype=tf.float32), name='decoder/Variable_1')

    optimizer_2 = tf.keras.optimizers.Adam(learning_rate=0.01, epsilon=1e-08)

    @tf.function(input_signature=[tf.TensorSpec([None, N_INPUT], tf.float32), tf.TensorSpec([], tf.float32)])
    def train_step(x, keep_prob=1.0):
        with tf.GradientTape() as tape:
            h = tf.nn.softplus(tf.add(tf.matmul(x, w_h), b_h))
            h = tf.nn.dropout(h, rate=1 - keep_prob)
            z_mean = tf.matmul(h, w_mu)
            z_log_sigma_sq = tf.matmul(h, w_sig)
            eps = tf.random.normal(tf.shape(z_mean), 0, 1, dtype=tf.float32, seed=1)
            z = tf.add(z_mean, tf.multiply(tf.sqrt(tf.exp(z_log_sigma_sq)), eps))
            x_reconstr_mean = tf.nn.sigmoid(tf.add(tf.matmul(z, w_d), b_d))
            reconstr_loss = -tf.reduce_sum(x * tf.math.log(1e-10 + x_reconstr_mean)
                                           + (1 - x) * tf.math.log(1e-10 + 1 - x_reconstr_mean), 1)
            latent_loss = -0.5 * tf.reduce_sum(1 + z_log_sigma_sq - tf.square(z_mean)
                                               - tf.exp(z_log_sigma_sq), 1)
            cost = tf.reduce_mean(reconstr_loss + latent_loss)
        variables = tape.watched_variables()
        gradients = tape.gradient(cost, variables)
        optimizer_2.apply_gradients(zip(gradients, variables))

    @tf.function(input_signature=[tf.TensorSpec([None, N_INPUT], tf.float32), tf.TensorSpec([], tf.float32)])
    def compute_z_mean_latent_loss(x, keep_prob=1.0):
        h = tf.nn.softplus(tf.add(tf.matmul(x, w_h), b_h))
        h = tf.nn.dropout(h, rate=1 - keep_prob)
        z_mean = tf.matmul(h, w_mu)
        z_log_sigma_sq = tf.matmul(h, w_sig)
        latent_loss = -0.5 * tf.reduce_sum(1 + z_log_sigma_sq - tf.square(z_mean)
                                           - tf.exp(z_log_sigma_sq), 1)
        return z_mean, latent_loss

    @tf.function(input_signature=[tf.TensorSpec([None, N_INPUT], tf.float32), tf.TensorSpec([], tf.float32)])
    def compute_cost(x, keep_prob=1.0):
        h = tf.nn.softplus(tf.add(tf.matmul(x, w_h), b_h))
        h = tf.nn.dropout(h, rate=1 - keep_prob)
        z_mean = tf.matmul(h, w_mu)
        z_log_sigma_sq = tf.matmul(h, w_sig)
        eps = tf.random.normal(tf.shape(z_mean), 0, 1, dtype=tf.float32, seed=1)
        z = tf.add(z_mean, tf.multiply(tf.sqrt(tf.exp(z_log_sigma_sq)), eps))
        x_reconstr_mean = tf.nn.sigmoid(tf.add(tf.matmul(z, w_d), b_d))
        reconstr_loss = -tf.reduce_sum(x * tf.math.log(1e-10 + x_reconstr_mean)
                                       + (1 - x) * tf.math.log(1e-10 + 1 - x_reconstr_mean), 1)
        latent_loss = -0.5 * tf.reduce_sum(1 + z_log_sigma_sq - tf.square(z_mean)
                                           - tf.exp(z_log_sigma_sq), 1)
        return tf.reduce_mean(reconstr_loss + latent_loss)

    for _ in range(20):
        train_step(data, keep_prob=0.9)
    # the mean path is deterministic: use it for the comparable numbers
    mu, latent = [t.numpy() for t in compute_z_mean_latent_loss(data)]
    c = compute_cost(data).numpy()
    print("RESULT " + json.dumps({
        "cost": round(float(c), 5),
        "z_mean0": [round(float(v), 6) for v in mu[0]],
        "latent_loss0": round(float(latent[0]), 6),
    }))


if __name__ == '__main__':
    main()
