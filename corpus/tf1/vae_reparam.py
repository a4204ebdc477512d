"""Variational autoencoder: encoder with dropout (keep_prob=), reparameterised
sample z = mu + exp(log_sigma_sq / 2) * eps with eps from tf.random_normal,
Bernoulli reconstruction term written with tf.log and the closed-form KL."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

N_INPUT = 12
N_HIDDEN = 16
N_Z = 2
BATCH = 8


def xavier_init(fan_in, fan_out, constant=1):
    low = -constant * np.sqrt(6.0 / (fan_in + fan_out))
    high = constant * np.sqrt(6.0 / (fan_in + fan_out))
    return tf.random_uniform((fan_in, fan_out), minval=low, maxval=high, dtype=tf.float32)


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    data = (np.random.rand(BATCH, N_INPUT) > 0.6).astype(np.float32)

    x = tf.placeholder(tf.float32, [None, N_INPUT])
    keep_prob = tf.placeholder_with_default(1.0, shape=[])

    with tf.variable_scope('encoder'):
        w_h = tf.Variable(xavier_init(N_INPUT, N_HIDDEN))
        b_h = tf.Variable(tf.zeros([N_HIDDEN], dtype=tf.float32))
        h = tf.nn.softplus(tf.add(tf.matmul(x, w_h), b_h))
        h = tf.nn.dropout(h, keep_prob=keep_prob)
        w_mu = tf.Variable(xavier_init(N_HIDDEN, N_Z))
        w_sig = tf.Variable(xavier_init(N_HIDDEN, N_Z))
        z_mean = tf.matmul(h, w_mu)
        z_log_sigma_sq = tf.matmul(h, w_sig)

    eps = tf.random_normal(tf.shape(z_mean), 0, 1, dtype=tf.float32, seed=1)
    z = tf.add(z_mean, tf.multiply(tf.sqrt(tf.exp(z_log_sigma_sq)), eps))

    with tf.variable_scope('decoder'):
        w_d = tf.Variable(xavier_init(N_Z, N_INPUT))
        b_d = tf.Variable(tf.zeros([N_INPUT], dtype=tf.float32))
        x_reconstr_mean = tf.nn.sigmoid(tf.add(tf.matmul(z, w_d), b_d))

    reconstr_loss = -tf.reduce_sum(x * tf.log(1e-10 + x_reconstr_mean)
                                   + (1 - x) * tf.log(1e-10 + 1 - x_reconstr_mean), 1)
    latent_loss = -0.5 * tf.reduce_sum(1 + z_log_sigma_sq - tf.square(z_mean)
                                       - tf.exp(z_log_sigma_sq), 1)
    cost = tf.reduce_mean(reconstr_loss + latent_loss)
    optimizer = tf.train.AdamOptimizer(learning_rate=0.01).minimize(cost)

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(20):
            sess.run(optimizer, feed_dict={x: data, keep_prob: 0.9})
        # the mean path is deterministic: use it for the comparable numbers
        mu, latent = sess.run([z_mean, latent_loss], feed_dict={x: data})
        c = sess.run(cost, feed_dict={x: data})
    print("RESULT " + json.dumps({
        "cost": round(float(c), 5),
        "z_mean0": [round(float(v), 6) for v in mu[0]],
        "latent_loss0": round(float(latent[0]), 6),
    }))


if __name__ == '__main__':
    main()
