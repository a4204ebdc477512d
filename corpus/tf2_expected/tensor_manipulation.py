"""Grab bag of tensor ops as TF1 code spelled them: concat/stack/unstack, slice,
gather, boolean_mask, expand_dims/squeeze, to_float/to_int32, one_hot, ragged."""
import json

import numpy as np
import tensorflow as tf


def r(a):
    return [round(float(v), 6) for v in np.asarray(a).reshape(-1)]


def main():
    np.random.seed(0)
    tf.random.set_seed(0)
    a_np = np.arange(12, dtype=np.float32).reshape(3, 4)

    a = tf.convert_to_tensor(a_np, dtype=tf.float32)
    b = tf.constant([[1.0, -1.0, 2.0, 0.5]])
    cat0 = tf.concat([a, b], 0)                      # (4, 4)
    cat1 = tf.concat([a, tf.ones([3, 2])], axis=1)   # (3, 6)
    stacked = tf.stack([a, a * 2.0], axis=0)         # (2, 3, 4)
    rows = tf.unstack(a)                             # 3 x (4,)
    sl = tf.slice(a, [1, 1], [2, 2])
    gathered = tf.gather(a, [2, 0])
    mask = tf.greater(a, 5.0)
    masked = tf.boolean_mask(a, mask)
    expanded = tf.expand_dims(rows[0], 0)            # (1, 4)
    squeezed = tf.squeeze(tf.reshape(a, [1, 3, 1, 4]), axis=[0, 2])
    transposed = tf.transpose(a)
    tiled = tf.tile(b, [2, 1])
    shape = tf.shape(cat1)
    size = tf.size(stacked)

    ints = tf.cast(a / 3.0, tf.int32)
    floats = tf.cast(ints, tf.float32)
    as_f64 = tf.cast(a, tf.float64)
    f64_mean = tf.reduce_mean(tf.sqrt(as_f64 + 1.0))
    as_i64 = tf.cast(a, tf.int64)
    one_hot = tf.one_hot(tf.constant([0, 2, 1]), depth=3, on_value=1.0, off_value=0.0)
    softplus = tf.math.log(1.0 + tf.exp(b))
    powered = tf.pow(tf.abs(b), 0.5)
    prod = tf.multiply(a, tf.zeros_like(a) + 0.5)
    total = tf.add_n([a, a, tf.ones_like(a)])
    seq = tf.range(0, 10, 3)
    arg = tf.argmax(a, axis=1)
    am = tf.reduce_max(a, axis=1)

    ragged = tf.ragged.constant([[1, 2, 3], [4], [5, 6]])
    ragged_sums = tf.reduce_sum(ragged, axis=1)

    out = {
        'cat0': cat0.numpy(), 'cat1': cat1.numpy(), 'stacked': stacked.numpy(), 'sl': sl.numpy(),
        'gathered': gathered.numpy(), 'masked': masked.numpy(), 'expanded': expanded.numpy(),
        'squeezed': squeezed.numpy(), 'transposed': transposed.numpy(), 'tiled': tiled.numpy(),
        'shape': shape.numpy(), 'size': size.numpy(), 'floats': floats.numpy(), 'f64_mean': f64_mean.numpy(),
        'i64': as_i64.numpy(), 'one_hot': one_hot.numpy(), 'softplus': softplus.numpy(),
        'powered': powered.numpy(), 'prod': prod.numpy(), 'total': total.numpy(), 'seq': seq.numpy(),
        'arg': arg.numpy(), 'am': am.numpy(), 'ragged_sums': ragged_sums.numpy(),
    }
    print("RESULT " + json.dumps({
        "cat0_last": r(out['cat0'][-1]),
        "cat1_shape": [int(v) for v in out['shape']],
        "stacked_sum": round(float(out['stacked'].sum()), 6),
        "size": int(out['size']),
        "slice": r(out['sl']),
        "gathered_first": r(out['gathered'][0]),
        "masked": r(out['masked']),
        "expanded_shape": list(out['expanded'].shape),
        "squeezed_sum": round(float(out['squeezed'].sum()), 6),
        "transposed_row0": r(out['transposed'][0]),
        "tiled_sum": round(float(out['tiled'].sum()), 6),
        "floats_row2": r(out['floats'][2]),
        "f64_mean": round(float(out['f64_mean']), 6),
        "i64_sum": int(out['i64'].sum()),
        "one_hot": r(out['one_hot']),
        "softplus": r(out['softplus']),
        "powered": r(out['powered']),
        "prod_sum": round(float(out['prod'].sum()), 6),
        "total_sum": round(float(out['total'].sum()), 6),
        "range": [int(v) for v in out['seq']],
        "argmax": [int(v) for v in out['arg']],
        "rowmax": r(out['am']),
        "ragged_sums": [int(v) for v in out['ragged_sums']],
    }))


if __name__ == '__main__':
    main()
