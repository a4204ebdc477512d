"""Two-layer MLP classifier: raw graph, tf.Variable weights, Session + feed_dict."""
from __future__ import absolute_import
from __future__ import division
from __future__ import print_function

import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
tf.set_random_seed(0)
np.random.seed(0)

n_input = 8
n_hidden_1 = 16
n_hidden_2 = 16
n_classes = 3
learning_rate = 0.5
training_steps = 20
batch_size = 8


def make_data():
    x = np.random.randn(batch_size, n_input).astype(np.float32)
    labels = np.argmax(x[:, :n_classes], axis=1)
    y = np.eye(n_classes, dtype=np.float32)[labels]
    return x, y


weights = {
    'h1': tf.Variable(tf.random_normal([n_input, n_hidden_1], stddev=0.1)),
    'h2': tf.Variable(tf.random_normal([n_hidden_1, n_hidden_2], stddev=0.1)),
    'out': tf.Variable(tf.random_normal([n_hidden_2, n_classes], stddev=0.1)),
}
biases = {
    'b1': tf.Variable(tf.zeros([n_hidden_1])),
    'b2': tf.Variable(tf.zeros([n_hidden_2])),
    'out': tf.Variable(tf.zeros([n_classes])),
}


def multilayer_perceptron(x):
    layer_1 = tf.add(tf.matmul(x, weights['h1']), biases['b1'])
    layer_1 = tf.nn.relu(layer_1)
    layer_2 = tf.add(tf.matmul(layer_1, weights['h2']), biases['b2'])
    layer_2 = tf.nn.relu(layer_2)
    out_layer = tf.matmul(layer_2, weights['out']) + biases['out']
    return out_layer


def main():
    batch_x, batch_y = make_data()

    X = tf.placeholder(tf.float32, [None, n_input])
    Y = tf.placeholder(tf.float32, [None, n_classes])

    logits = multilayer_perceptron(X)
    prediction = tf.nn.softmax(logits)
    loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
        logits=logits, labels=Y))
    optimizer = tf.train.GradientDescentOptimizer(learning_rate=learning_rate)
    train_op = optimizer.minimize(loss_op)

    correct_pred = tf.equal(tf.argmax(prediction, 1), tf.argmax(Y, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_pred, tf.float32))

    init = tf.global_variables_initializer()
    with tf.Session() as sess:
        sess.run(init)
        for step in range(1, training_steps + 1):
            sess.run(train_op, feed_dict={X: batch_x, Y: batch_y})
            if step % 10 == 0 or step == 1:
                loss, acc = sess.run([loss_op, accuracy],
                                     feed_dict={X: batch_x, Y: batch_y})
                print("Step " + str(step) + ", Minibatch Loss= " +
                      "{:.4f}".format(loss) + ", Training Accuracy= " +
                      "{:.3f}".format(acc))
        probs = sess.run(prediction, feed_dict={X: batch_x})
        loss, acc = sess.run([loss_op, accuracy], feed_dict={X: batch_x, Y: batch_y})
    print("Optimization Finished!")
    print("RESULT " + json.dumps({
        "loss": round(float(loss), 6),
        "accuracy": round(float(acc), 6),
        "probs0": [round(float(v), 6) for v in probs[0]],
    }))


if __name__ == "__main__":
    main()
