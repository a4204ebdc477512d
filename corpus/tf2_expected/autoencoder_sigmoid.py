"""Fully connected autoencoder with sigmoid units, name_scope'd encoder/decoder,
squared error via tf.pow and RMSPropOptimizer."""
import json

import numpy as np
import tensorflow as tf

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


optimizer_2 = tf.compat.v1.train.RMSPropOptimizer(learning_rate)


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
