"""Regenerates unsupported_outputs.tflite: a valid 1.5 kB TFLite model whose single output
(1, 7) fits no detector decoder (used by the invalid-config table test).
Needs TensorFlow (extra `train`): python tests/service/data/make_unsupported_model.py"""
import pathlib

import tensorflow as tf

inp = tf.keras.Input((16, 16, 3), batch_size=1)
out = tf.keras.layers.Dense(7)(tf.keras.layers.GlobalAveragePooling2D()(inp))
model = tf.keras.Model(inp, out)
data = tf.lite.TFLiteConverter.from_keras_model(model).convert()
pathlib.Path(__file__).with_name("unsupported_outputs.tflite").write_bytes(data)
print(len(data), "bytes")
