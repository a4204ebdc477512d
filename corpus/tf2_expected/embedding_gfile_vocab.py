"""Bag-of-words text classifier: a vocab file written and read with tf.gfile,
tf.nn.embedding_lookup on a tf.random_uniform embedding, mean pooling with a
length mask, tf.layers.dense logits."""
import json
import os
import tempfile

import numpy as np
import tensorflow as tf

SENTENCES = [
    ("a good movie", 1), ("a bad movie", 0), ("good fun", 1), ("bad acting", 0),
    ("really good acting", 1), ("really bad fun", 0), ("fun movie", 1), ("bad", 0),
]
EMBED_DIM = 8
MAX_LEN = 3


def build_vocab(path):
    words = sorted({w for s, _ in SENTENCES for w in s.split()})
    with tf.io.gfile.GFile(path, 'w') as f:
        f.write('<pad>\n')
        for w in words:
            f.write(w + '\n')


def load_vocab(path):
    if not tf.io.gfile.exists(path):
        raise ValueError('vocab file not found: %s' % path)
    with tf.io.gfile.GFile(path, 'r') as f:
        return {w.strip(): i for i, w in enumerate(f.readlines())}


def main():
    tf.random.set_seed(0)
    np.random.seed(0)
    vocab_path = os.path.join(tempfile.mkdtemp(), 'vocab.txt')
    build_vocab(vocab_path)
    vocab = load_vocab(vocab_path)

    ids = np.zeros((len(SENTENCES), MAX_LEN), np.int32)
    lengths = np.zeros(len(SENTENCES), np.int32)
    for i, (s, _) in enumerate(SENTENCES):
        toks = [vocab[w] for w in s.split()]
        ids[i, :len(toks)] = toks
        lengths[i] = len(toks)
    labels_np = np.array([l for _, l in SENTENCES], np.int32)

    embeddings = tf.Variable(
        tf.random.uniform([len(vocab), EMBED_DIM], -1.0, 1.0), name='embedding/W')
    output = tf.keras.layers.Dense(2, name='output')
    optimizer = tf.keras.optimizers.Adagrad(learning_rate=0.5, epsilon=0.0)

    def forward(word_ids, seq_len, labels):
        embedded = tf.nn.embedding_lookup(embeddings, word_ids)
        mask = tf.sequence_mask(seq_len, MAX_LEN, dtype=tf.float32)
        summed = tf.reduce_sum(embedded * tf.expand_dims(mask, -1), axis=1)
        pooled = summed / tf.expand_dims(tf.cast(seq_len, tf.float32), -1)
        logits = output(pooled)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits))
        return pooled, logits, loss

    @tf.function(input_signature=[tf.TensorSpec([None, MAX_LEN], tf.int32), tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32)])
    def train_step(word_ids, seq_len, labels):
        with tf.GradientTape() as tape:
            pooled, logits, loss = forward(word_ids, seq_len, labels)
        variables = tape.watched_variables()
        gradients = tape.gradient(loss, variables)
        # TF1 summed the rows of repeated ids before the update; Keras does not
        gradients = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in gradients]
        optimizer.apply_gradients(zip(gradients, variables))

    @tf.function(input_signature=[tf.TensorSpec([None, MAX_LEN], tf.int32), tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32)])
    def compute_loss_acc_pooled(word_ids, seq_len, labels):
        pooled, logits, loss = forward(word_ids, seq_len, labels)
        preds = tf.argmax(logits, 1, output_type=tf.int32)
        acc = tf.reduce_mean(tf.cast(tf.equal(preds, labels), tf.float32))
        return loss, acc, pooled

    feed = {"word_ids": ids, "seq_len": lengths, "labels": labels_np}
    for _ in range(15):
        train_step(**feed)
    l, a, p = [t.numpy() for t in compute_loss_acc_pooled(**feed)]
    print("RESULT " + json.dumps({
        "vocab_size": len(vocab),
        "loss": round(float(l), 6),
        "accuracy": round(float(a), 6),
        "pooled0": [round(float(v), 6) for v in p[0][:5]],
    }))


if __name__ == '__main__':
    main()
