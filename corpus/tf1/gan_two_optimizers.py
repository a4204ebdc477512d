"""Tiny 1-D GAN: generator and discriminator in variable scopes, two optimizers.

Each optimizer gets the var_list of its own scope via tf.get_collection; the
discriminator is applied twice with reuse=True.
"""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
tf.set_random_seed(0)
np.random.seed(0)

Z_DIM = 4
H_DIM = 16
BATCH = 8


def xavier_init(size):
    in_dim = size[0]
    xavier_stddev = 1. / tf.sqrt(in_dim / 2.)
    return tf.random_normal(shape=size, stddev=xavier_stddev)


def generator(z):
    with tf.variable_scope('generator'):
        G_W1 = tf.Variable(xavier_init([Z_DIM, H_DIM]), name='G_W1')
        G_b1 = tf.Variable(tf.zeros(shape=[H_DIM]), name='G_b1')
        G_W2 = tf.Variable(xavier_init([H_DIM, 1]), name='G_W2')
        G_b2 = tf.Variable(tf.zeros(shape=[1]), name='G_b2')
        G_h1 = tf.nn.relu(tf.matmul(z, G_W1) + G_b1)
        return tf.matmul(G_h1, G_W2) + G_b2


def discriminator(x, reuse=False):
    with tf.variable_scope('discriminator') as scope:
        if reuse:
            scope.reuse_variables()
        w1 = tf.get_variable('w1', [1, H_DIM],
                             initializer=tf.random_normal_initializer(stddev=0.5))
        b1 = tf.get_variable('b1', [H_DIM], initializer=tf.constant_initializer(0.0))
        w2 = tf.get_variable('w2', [H_DIM, 1],
                             initializer=tf.random_normal_initializer(stddev=0.5))
        b2 = tf.get_variable('b2', [1], initializer=tf.constant_initializer(0.0))
        h1 = tf.nn.relu(tf.matmul(x, w1) + b1)
        logit = tf.matmul(h1, w2) + b2
        prob = tf.nn.sigmoid(logit)
        return prob, logit


def sample_z(m, n):
    return np.random.uniform(-1., 1., size=[m, n]).astype(np.float32)


def main():
    X = tf.placeholder(tf.float32, shape=[None, 1])
    Z = tf.placeholder(tf.float32, shape=[None, Z_DIM])

    G_sample = generator(Z)
    D_real, D_logit_real = discriminator(X)
    D_fake, D_logit_fake = discriminator(G_sample, reuse=True)

    D_loss_real = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        logits=D_logit_real, labels=tf.ones_like(D_logit_real)))
    D_loss_fake = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        logits=D_logit_fake, labels=tf.zeros_like(D_logit_fake)))
    D_loss = D_loss_real + D_loss_fake
    G_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        logits=D_logit_fake, labels=tf.ones_like(D_logit_fake)))

    t_vars = tf.trainable_variables()
    d_vars = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope='discriminator')
    g_vars = [var for var in t_vars if var.name.startswith('generator')]

    D_solver = tf.train.AdamOptimizer(1e-3, beta1=0.5).minimize(D_loss, var_list=d_vars)
    G_solver = tf.train.AdamOptimizer(1e-3, beta1=0.5).minimize(G_loss, var_list=g_vars)

    # the noise for the run is drawn once, up front, from numpy
    real = (np.random.randn(20, BATCH, 1) * 0.5 + 2.0).astype(np.float32)
    noise = [sample_z(BATCH, Z_DIM) for _ in range(20)]

    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    for it in range(20):
        _, D_loss_curr = sess.run([D_solver, D_loss], feed_dict={X: real[it], Z: noise[it]})
        _, G_loss_curr = sess.run([G_solver, G_loss], feed_dict={Z: noise[it]})
        if it % 10 == 0:
            print('Iter: {}  D loss: {:.4}  G_loss: {:.4}'.format(it, D_loss_curr, G_loss_curr))
    samples = sess.run(G_sample, feed_dict={Z: noise[0]})
    d_loss, g_loss = sess.run([D_loss, G_loss], feed_dict={X: real[0], Z: noise[0]})
    sess.close()
    print("RESULT " + json.dumps({
        "d_loss": round(float(d_loss), 6),
        "g_loss": round(float(g_loss), 6),
        "samples": [round(float(v), 6) for v in samples[:5, 0]],
        "n_d_vars": len(d_vars),
        "n_g_vars": len(g_vars),
    }))


if __name__ == '__main__':
    main()
