"""tf.keras layers used as graph building blocks inside a TF1 Session:
a tf.keras.Sequential of tf.keras.layers.Dense applied to a placeholder and
trained with a tf.train optimizer over model.trainable_weights."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    x_np = np.random.randn(8, 5).astype(np.float32)
    y_np = (x_np[:, :1] - x_np[:, 1:2] > 0).astype(np.float32)

    model = tf.keras.Sequential([
        tf.keras.layers.Dense(16, activation='relu', input_shape=(5,)),
        tf.keras.layers.Dense(8, activation=tf.nn.tanh),
        tf.keras.layers.Dense(1),
    ])
    head = tf.keras.layers.Dense(1, use_bias=False, kernel_initializer='ones')

    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.placeholder(tf.float32, [None, 1])
    logits = head(model(x))
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
    train_op = tf.train.AdamOptimizer(0.01).minimize(loss, var_list=model.trainable_weights)
    probs = tf.sigmoid(logits)

    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    for _ in range(20):
        sess.run(train_op, {x: x_np, y: y_np})
    final_loss, p = sess.run([loss, probs], {x: x_np, y: y_np})
    n_params = int(sum(np.prod(w.get_shape().as_list()) for w in model.trainable_weights))
    sess.close()
    print("RESULT " + json.dumps({
        "loss": round(float(final_loss), 6),
        "probs": [round(float(v), 6) for v in p[:5, 0]],
        "n_params": n_params,
    }))


if __name__ == '__main__':
    main()
