"""Two-layer MLP classifier: raw graph, tf.Variable weights, Session + feed_dict."""
from __future__ import absolute_import
from __future__ import division
from __future__ import print_function

import json

import numpy as np
import tensorflow as tf

tf.random.set_seed(0)
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
    'h1': tf.Variable(tf.random.normal([n_input, n_hidden_1], stddev=0.1)),
    'h2': tf.Variable(tf.random.normal([n_hidden_1, n_hidden_2], stddev=0.1)),
    'out': tf.Variable(tf.random.normal([n_hidden_2, n_classes], stddev=0.1)),
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

    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)

    @tf.function(input_signature=[tf.TensorSpec([None, n_input], tf.float32), tf.TensorSpec([None, n_classes], tf.float32)])
    def train_step(X, Y):
        with tf.GradientTape() as tape:
            logits = multilayer_perceptron(X)
            loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
                logits=logits, labels=Y))
        variables = tape.watched_variables()
        gradients = tape.gradient(loss_op, variables)
        optimizer.apply_gradients(zip(gradients, variables))

    @tf.function(input_signature=[tf.TensorSpec([None, n_input], tf.float32), tf.TensorSpec([None, n_classes], tf.float32)])
    def compute_loss_op_accuracy(X, Y):
        logits = multilayer_perceptron(X)
        prediction = tf.nn.softmax(logits)
        loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
            logits=logits, labels=Y))
        correct_pred = tf.equal(tf.argmax(prediction, 1), tf.argmax(Y, 1))
        accuracy = tf.reduce_mean(tf.cast(correct_pred, tf.float32))
        return loss_op, accuracy

    @tf.function(input_signature=[tf.TensorSpec([None, n_input], tf.float32)])
    def compute_prediction(X):
        logits = multilayer_perceptron(X)
        return tf.nn.softmax(logits)

    for step in range(1, training_steps + 1):
        train_step(batch_x, batch_y)
        if step % 10 == 0 or step == 1:
            loss, acc = [t.numpy() for t in compute_loss_op_accuracy(batch_x, batch_y)]
            print("Step " + str(step) + ", Minibatch Loss= " +
                  "{:.4f}".format(loss) + ", Training Accuracy= " +
                  "{:.3f}".format(acc))
    probs = compute_prediction(batch_x).numpy()
    loss, acc = [t.numpy() for t in compute_loss_op_accuracy(batch_x, batch_y)]
    print("Optimization Finished!")
    print("RESULT " + json.dumps({
        "loss": round(float(loss), 6),
        "accuracy": round(float(acc), 6),
        "probs0": [round(float(v), 6) for v in probs[0]],
    }))


if __name__ == "__main__":
    main()
