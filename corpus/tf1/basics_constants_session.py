"""TensorFlow 'basics' tutorial material: constants and ops, a Session built
from a ConfigProto, a counter updated with tf.assign, fetching several values,
an InteractiveSession, explicit tf.device placement and graph inspection."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def main():
    tf.set_random_seed(0)
    np.random.seed(0)

    a = tf.constant(2.0, name='a')
    b = tf.constant(3.0, name='b')
    c = tf.add(a, b, name='c')
    d = tf.multiply(a, b, name='d')
    e = tf.subtract(d, c, name='e')

    matrix1 = tf.constant([[3., 3.]])
    matrix2 = tf.constant([[2.], [2.]])
    product = tf.matmul(matrix1, matrix2)

    state = tf.Variable(0, name='counter')
    one = tf.constant(1)
    new_value = tf.add(state, one)
    update = tf.assign(state, new_value)

    with tf.device('/cpu:0'):
        input1 = tf.placeholder(tf.float32)
        input2 = tf.placeholder(tf.float32)
        output = tf.multiply(input1, input2)

    config = tf.ConfigProto(device_count={'GPU': 0}, inter_op_parallelism_threads=1,
                            intra_op_parallelism_threads=1)
    counter_values = []
    with tf.Session(config=config) as sess:
        sess.run(tf.global_variables_initializer())
        c_v, d_v, e_v = sess.run([c, d, e])
        prod = sess.run(product)
        for _ in range(3):
            sess.run(update)
            counter_values.append(int(sess.run(state)))
        fed = sess.run([output], feed_dict={input1: [7.], input2: [2.]})

    sess = tf.InteractiveSession()
    x = tf.Variable([1.0, 2.0])
    k = tf.constant([3.0, 3.0])
    x.initializer.run()
    sub = tf.subtract(x, k)
    sub_v = sub.eval()
    sess.close()

    op_types = sorted({op.type for op in tf.get_default_graph().get_operations()})
    print("RESULT " + json.dumps({
        "c": float(c_v), "d": float(d_v), "e": float(e_v),
        "product": float(prod[0, 0]),
        "counter": counter_values,
        "fed": [float(v) for v in fed[0]],
        "sub": [float(v) for v in sub_v],
        "has_assign_op": 'Assign' in op_types,
    }))


if __name__ == '__main__':
    main()
