"""Bag-of-words text classifier: a vocab file written and read with tf.gfile,
tf.nn.embedding_lookup on a tf.random_uniform embedding, mean pooling with a
length mask, tf.layers.dense logits."""
import json
import os
import tempfile

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

SENTENCES = [
    ("a good movie", 1), ("a bad movie", 0), ("good fun", 1), ("bad acting", 0),
    ("really good acting", 1), ("really bad fun", 0), ("fun movie", 1), ("bad", 0),
]
EMBED_DIM = 8
MAX_LEN = 3


def build_vocab(path):
    words = sorted({w for s, _ in SENTENCES for w in s.split()})
    with tf.gfile.GFile(path, 'w') as f:
        f.write('<pad>\n')
        for w in words:
            f.write(w + '\n')


def load_vocab(path):
    if not tf.gfile.Exists(path):
        raise ValueError('vocab file not found: %s' % path)
    with tf.gfile.GFile(path, 'r') as f:
        return {w.strip(): i for i, w in enumerate(f.readlines())}


def main():
    tf.set_random_seed(0)
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

    word_ids = tf.placeholder(tf.int32, [None, MAX_LEN], name='word_ids')
    seq_len = tf.placeholder(tf.int32, [None], name='seq_len')
    labels = tf.placeholder(tf.int32, [None], name='labels')

    with tf.variable_scope('embedding'):
        embeddings = tf.Variable(
            tf.random_uniform([len(vocab), EMBED_DIM], -1.0, 1.0), name='W')
        embedded = tf.nn.embedding_lookup(embeddings, word_ids)
    mask = tf.sequence_mask(seq_len, MAX_LEN, dtype=tf.float32)
    summed = tf.reduce_sum(embedded * tf.expand_dims(mask, -1), axis=1)
    pooled = summed / tf.expand_dims(tf.to_float(seq_len), -1)
    logits = tf.layers.dense(pooled, 2, name='output')
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits))
    train_op = tf.train.AdagradOptimizer(0.5).minimize(loss)
    preds = tf.argmax(logits, 1, output_type=tf.int32)
    acc = tf.reduce_mean(tf.cast(tf.equal(preds, labels), tf.float32))

    feed = {word_ids: ids, seq_len: lengths, labels: labels_np}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(15):
            sess.run(train_op, feed)
        l, a, p = sess.run([loss, acc, pooled], feed)
    print("RESULT " + json.dumps({
        "vocab_size": len(vocab),
        "loss": round(float(l), 6),
        "accuracy": round(float(a), 6),
        "pooled0": [round(float(v), 6) for v in p[0][:5]],
    }))


if __name__ == '__main__':
    main()
