"""Export a trained graph with tf.train.Saver, then in a brand-new tf.Graph load
it with tf.train.import_meta_graph and look tensors up by name through
tf.get_default_graph().get_tensor_by_name / tf.get_collection."""
import json
import os
import shutil
import tempfile

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def train_and_export(export_dir, x_np, y_np):
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 4], name='input')
        y = tf.placeholder(tf.float32, [None, 2], name='target')
        hidden = tf.layers.dense(x, 8, activation=tf.nn.relu, name='hidden')
        out = tf.layers.dense(hidden, 2, name='out')
        output = tf.identity(out, name='output')
        loss = tf.losses.mean_squared_error(y, output)
        train_op = tf.train.AdamOptimizer(0.05).minimize(loss, name='train_op')
        tf.add_to_collection('train_op', train_op)
        tf.add_to_collection('inputs', x)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(10):
                sess.run(train_op, {x: x_np, y: y_np})
            trained = sess.run(output, {x: x_np})
            path = saver.save(sess, os.path.join(export_dir, 'model'))
    return path, trained


def main():
    np.random.seed(0)
    x_np = np.random.randn(6, 4).astype(np.float32)
    y_np = np.stack([x_np.sum(1), x_np[:, 0] * x_np[:, 1]], axis=1).astype(np.float32)
    export_dir = tempfile.mkdtemp()
    path, trained = train_and_export(export_dir, x_np, y_np)

    tf.reset_default_graph()
    with tf.Session() as sess:
        saver = tf.train.import_meta_graph(path + '.meta')
        saver.restore(sess, tf.train.latest_checkpoint(export_dir))
        graph = tf.get_default_graph()
        x = tf.get_collection('inputs')[0]
        output = graph.get_tensor_by_name('output:0')
        target = graph.get_tensor_by_name('target:0')
        train_op = tf.get_collection('train_op')[0]
        restored = sess.run(output, {x: x_np})
        # keep training the imported graph for a few more steps
        for _ in range(5):
            sess.run(train_op, {x: x_np, target: y_np})
        continued = sess.run(output, {x: x_np})
        n_ops = len(graph.get_operations())
    shutil.rmtree(export_dir)
    print("RESULT " + json.dumps({
        "max_restore_diff": round(float(np.abs(restored - trained).max()), 6),
        "restored0": [round(float(v), 6) for v in restored[0]],
        "continued0": [round(float(v), 6) for v in continued[0]],
        "graph_has_ops": n_ops > 10,
    }))


if __name__ == '__main__':
    main()
