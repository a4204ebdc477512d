"""Fully connected autoencoder with sigmoid units, name_scope'd encoder/decoder,
squared error via tf.pow and RMSPropOptimizer."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
tf.set_random_seed(0)

learning_rate = 0.05
num_steps = 20
num_input = 16
num_hidden_1 = 8
num_hidden_2 = 4

X = tf.placeholder("float", [None, num_input])

weights = {
    'encoder_h1': tf.Variable(tf.random_normal([num_input, num_hidden_1])),
    'encoder_h2': tf.Variable(tf.random_normal([num_hidden_1, num_hidden_2])),
    'decoder_h1': tf.Variable(tf.random_normal([num_hidden_2, num_hidden_1])),
    'decoder_h2': tf.Variable(tf.random_normal([num_hidden_1, num_input])),
}
biases = {
    'encoder_b1': tf.Variable(tf.random_normal([num_hidden_1])),
    'encoder_b2': tf.Variable(tf.random_normal([num_hidden_2])),
    'decoder_b1': tf.Variable(tf.random_normal([num_hidden_1])),
    'decoder_b2': tf.Variable(tf.random_normal([num_input])),
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


encoder_op = encoder(X)
decoder_op = decoder(encoder_op)

y_pred = decoder_op
y_true = X

loss = tf.reduce_mean(tf.pow(y_true - y_pred, 2))
optimizer = tf.train.RMSPropOptimizer(learning_rate).minimize(loss)

init = tf.global_variables_initializer()


def main():
    np.random.seed(0)
    batch_x = (np.random.rand(8, num_input) > 0.5).astype(np.float32)
    with tf.Session() as sess:
        sess.run(init)
        for i in range(1, num_steps + 1):
            _, l = sess.run([optimizer, loss], feed_dict={X: batch_x})
            if i % 10 == 0 or i == 1:
                print('Step %i: Minibatch Loss: %f' % (i, l))
        code, recon, l = sess.run([encoder_op, decoder_op, loss], feed_dict={X: batch_x})
    print("RESULT " + json.dumps({
        "loss": round(float(l), 6),
        "code0": [round(float(v), 6) for v in code[0]],
        "recon0": [round(float(v), 6) for v in recon[0][:5]],
    }))


if __name__ == '__main__':
    main()
