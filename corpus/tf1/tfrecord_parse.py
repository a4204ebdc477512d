"""Write tf.train.Example records with tf.python_io.TFRecordWriter, read them back
with a TFRecordDataset and tf.parse_single_example (FixedLenFeature, decode_raw)."""
import json
import os
import shutil
import tempfile

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def _bytes_feature(value):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int64_feature(value):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))


def _float_feature(values):
    return tf.train.Feature(float_list=tf.train.FloatList(value=values))


def write_records(path, images, labels, weights):
    writer = tf.python_io.TFRecordWriter(path)
    for image, label, weight in zip(images, labels, weights):
        example = tf.train.Example(features=tf.train.Features(feature={
            'image_raw': _bytes_feature(image.tobytes()),
            'label': _int64_feature(int(label)),
            'name': _bytes_feature(('img_%d' % label).encode('utf-8')),
            'weights': _float_feature(weight.tolist()),
        }))
        writer.write(example.SerializeToString())
    writer.close()


def parse_fn(serialized):
    features = tf.parse_single_example(
        serialized,
        features={
            'image_raw': tf.FixedLenFeature([], tf.string),
            'label': tf.FixedLenFeature([], tf.int64),
            'name': tf.FixedLenFeature([], tf.string, default_value=''),
            'weights': tf.FixedLenFeature([2], tf.float32),
        })
    image = tf.decode_raw(features['image_raw'], tf.uint8)
    image.set_shape([9])
    image = tf.cast(image, tf.float32) * (1. / 255) - 0.5
    label = tf.cast(features['label'], tf.int32)
    return image, label, features['weights'], features['name']


def main():
    np.random.seed(0)
    tf.set_random_seed(0)
    tmp_dir = tempfile.mkdtemp()
    filename = os.path.join(tmp_dir, 'train.tfrecords')
    images = np.random.randint(0, 256, size=(5, 9)).astype(np.uint8)
    labels = np.arange(5) % 3
    weights = np.random.rand(5, 2).astype(np.float32)
    write_records(filename, images, labels, weights)

    dataset = tf.data.TFRecordDataset([filename]).map(parse_fn).batch(5)
    image, label, weight, name = dataset.make_one_shot_iterator().get_next()
    score = tf.reduce_sum(image, axis=1) * tf.reduce_sum(weight, axis=1)

    with tf.Session() as sess:
        image_v, label_v, score_v, name_v = sess.run([image, label, score, name])
    shutil.rmtree(tmp_dir)
    print("RESULT " + json.dumps({
        "labels": [int(v) for v in label_v],
        "image0": [round(float(v), 6) for v in image_v[0][:5]],
        "scores": [round(float(v), 6) for v in score_v],
        "names": [n.decode('utf-8') for n in name_v],
    }))


if __name__ == '__main__':
    main()
