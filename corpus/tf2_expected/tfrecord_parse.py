"""Write tf.train.Example records with tf.python_io.TFRecordWriter, read them back
with a TFRecordDataset and tf.parse_single_example (FixedLenFeature, decode_raw)."""
import json
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf


def _bytes_feature(value):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int64_feature(value):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))


def _float_feature(values):
    return tf.train.Feature(float_list=tf.train.FloatList(value=values))


def write_records(path, images, labels, weights):
    writer = tf.io.TFRecordWriter(path)
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
    features = tf.io.parse_single_example(
        serialized,
        features={
            'image_raw': tf.io.FixedLenFeature([], tf.string),
            'label': tf.io.FixedLenFeature([], tf.int64),
            'name': tf.io.FixedLenFeature([], tf.string, default_value=''),
            'weights': tf.io.FixedLenFeature([2], tf.float32),
        })
    image = tf.io.decode_raw(features['image_raw'], tf.uint8)
    image.set_shape([9])
    image = tf.cast(image, tf.float32) * (1. / 255) - 0.5
    label = tf.cast(features['label'], tf.int32)
    return image, label, features['weights'], features['name']


def main():
    np.random.seed(0)
    tf.random.set_seed(0)
    tmp_dir = tempfile.mkdtemp()
    filename = os.path.join(tmp_dir, 'train.tfrecords')
    images = np.random.randint(0, 256, size=(5, 9)).astype(np.uint8)
    labels = np.arange(5) % 3
    weights = np.random.rand(5, 2).astype(np.float32)
    write_records(filename, images, labels, weights)

    dataset = tf.data.TFRecordDataset([filename]).map(parse_fn).batch(5)
    iterator = iter(dataset)

    @tf.function
    def compute_image_label_score_name(image, label, weight, name):
        score = tf.reduce_sum(image, axis=1) * tf.reduce_sum(weight, axis=1)
        return image, label, score, name

    image_v, label_v, score_v, name_v = [t.numpy() for t in compute_image_label_score_name(*iterator.get_next())]
    shutil.rmtree(tmp_dir)
    print("RESULT " + json.dumps({
        "labels": [int(v) for v in label_v],
        "image0": [round(float(v), 6) for v in image_v[0][:5]],
        "scores": [round(float(v), 6) for v in score_v],
        "names": [n.decode('utf-8') for n in name_v],
    }))


if __name__ == '__main__':
    main()
