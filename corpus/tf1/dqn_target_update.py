"""DQN-style update: online and target Q-networks in separate variable scopes,
the target refreshed with tf.assign ops over scope collections, Q(s, a)
selected with a one_hot action mask, Huber loss, RMSPropOptimizer."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

STATE_DIM = 4
NUM_ACTIONS = 3
GAMMA = 0.9


def q_network(states, scope, trainable=True):
    with tf.variable_scope(scope):
        h = tf.layers.dense(states, 16, activation=tf.nn.relu, trainable=trainable,
                            kernel_initializer=tf.random_normal_initializer(stddev=0.3),
                            name='h1')
        return tf.layers.dense(h, NUM_ACTIONS, trainable=trainable,
                               kernel_initializer=tf.random_normal_initializer(stddev=0.3),
                               name='q')


def copy_params(src_scope, dst_scope):
    src = sorted(tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope=src_scope),
                 key=lambda v: v.name)
    dst = sorted(tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope=dst_scope),
                 key=lambda v: v.name)
    return tf.group(*[tf.assign(d, s) for s, d in zip(src, dst)])


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    s_np = np.random.randn(8, STATE_DIM).astype(np.float32)
    a_np = np.random.randint(0, NUM_ACTIONS, size=8).astype(np.int32)
    r_np = np.random.rand(8).astype(np.float32)
    s2_np = np.random.randn(8, STATE_DIM).astype(np.float32)
    done_np = (np.arange(8) % 4 == 3).astype(np.float32)

    states = tf.placeholder(tf.float32, [None, STATE_DIM], name='states')
    actions = tf.placeholder(tf.int32, [None], name='actions')
    rewards = tf.placeholder(tf.float32, [None], name='rewards')
    next_states = tf.placeholder(tf.float32, [None, STATE_DIM], name='next_states')
    done = tf.placeholder(tf.float32, [None], name='done')

    q = q_network(states, 'online')
    q_next = q_network(next_states, 'target', trainable=False)
    target = rewards + GAMMA * (1.0 - done) * tf.reduce_max(q_next, axis=1)
    target = tf.stop_gradient(target)
    q_sa = tf.reduce_sum(q * tf.one_hot(actions, NUM_ACTIONS), axis=1)
    loss = tf.losses.huber_loss(target, q_sa)
    # built before the optimizer, so its slot variables are not in the scopes yet
    update_target = copy_params('online', 'target')
    online_vars = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope='online')
    train_op = tf.train.RMSPropOptimizer(0.01, decay=0.95, epsilon=0.01).minimize(
        loss, var_list=online_vars)

    feed = {states: s_np, actions: a_np, rewards: r_np, next_states: s2_np, done: done_np}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(update_target)
        for step in range(12):
            sess.run(train_op, feed)
            if step % 4 == 3:
                sess.run(update_target)
        l, q_v = sess.run([loss, q], feed)
    print("RESULT " + json.dumps({
        "loss": round(float(l), 6),
        "q0": [round(float(v), 6) for v in q_v[0]],
        "num_online_vars": len(online_vars),
    }))


if __name__ == '__main__':
    main()
