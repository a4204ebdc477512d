"""Keras layer classes -> torch.nn modules (data for PT1001 and PT1003).

Each entry names a *kind* (the builder in ``rules/tf2_to_torch/_layers.py`` that knows the
layer's numerics: padding, momentum, epsilon, layout) and the Keras constructor's positional
parameters, in order. ``dims`` is the number of spatial dimensions. ``defaults`` are the
Keras defaults the builder pins when the call leaves them out (values as source code).

Arguments every layer accepts (``name``, ``dtype``, ``trainable``, ``input_shape``, ...) are
handled by the builder; an argument that is neither listed here nor common makes the layer
a manual item.
"""

from __future__ import annotations

from typing import Any

_INIT_REG = [
    "kernel_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "kernel_constraint",
    "bias_constraint",
]
_CONV = ["filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias", *_INIT_REG]
_CONV_T = ["filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate", "activation", "use_bias", *_INIT_REG]
_DW_INIT = ["bias_initializer", "bias_regularizer", "activity_regularizer", "bias_constraint"]
_DEPTHWISE = ["kernel_size", "strides", "padding", "depth_multiplier", "data_format", "dilation_rate", "activation", "use_bias", "depthwise_initializer", "depthwise_regularizer", "depthwise_constraint", *_DW_INIT]
_SEPARABLE = ["filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier", "activation", "use_bias", "depthwise_initializer", "pointwise_initializer", "depthwise_regularizer", "pointwise_regularizer", "depthwise_constraint", "pointwise_constraint", *_DW_INIT]
_RNN = [
    "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
    "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
    "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed", "return_sequences", "return_state",
    "go_backwards", "stateful", "unroll", "use_cudnn",
]
_POOL = ["pool_size", "strides", "padding", "data_format"]
_GLOBAL_POOL = ["data_format", "keepdims"]

LAYERS: dict[str, dict[str, Any]] = {
    "Dense": {"kind": "dense", "params": ["units", "activation", "use_bias", *_INIT_REG]},
    "Conv1D": {"kind": "conv", "dims": 1, "params": _CONV},
    "Conv2D": {"kind": "conv", "dims": 2, "params": _CONV},
    "Conv3D": {"kind": "conv", "dims": 3, "params": _CONV},
    "MaxPooling1D": {"kind": "pool", "op": "max", "dims": 1, "params": _POOL, "defaults": {"pool_size": "2"}},
    "MaxPooling2D": {"kind": "pool", "op": "max", "dims": 2, "params": _POOL, "defaults": {"pool_size": "2"}},
    "MaxPooling3D": {"kind": "pool", "op": "max", "dims": 3, "params": _POOL, "defaults": {"pool_size": "2"}},
    "AveragePooling1D": {"kind": "pool", "op": "avg", "dims": 1, "params": _POOL, "defaults": {"pool_size": "2"}},
    "AveragePooling2D": {"kind": "pool", "op": "avg", "dims": 2, "params": _POOL, "defaults": {"pool_size": "2"}},
    "AveragePooling3D": {"kind": "pool", "op": "avg", "dims": 3, "params": _POOL, "defaults": {"pool_size": "2"}},
    "GlobalAveragePooling1D": {"kind": "global_pool", "op": "avg", "dims": 1, "params": _GLOBAL_POOL},
    "GlobalAveragePooling2D": {"kind": "global_pool", "op": "avg", "dims": 2, "params": _GLOBAL_POOL},
    "GlobalAveragePooling3D": {"kind": "global_pool", "op": "avg", "dims": 3, "params": _GLOBAL_POOL},
    "GlobalMaxPooling1D": {"kind": "global_pool", "op": "max", "dims": 1, "params": _GLOBAL_POOL},
    "GlobalMaxPooling2D": {"kind": "global_pool", "op": "max", "dims": 2, "params": _GLOBAL_POOL},
    "GlobalMaxPooling3D": {"kind": "global_pool", "op": "max", "dims": 3, "params": _GLOBAL_POOL},
    "BatchNormalization": {
        "kind": "batchnorm",
        "params": ["axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint", "renorm", "renorm_clipping", "renorm_momentum", "synchronized"],
        "defaults": {"momentum": "0.99", "epsilon": "1e-3"},
    },
    "LayerNormalization": {
        "kind": "layernorm",
        "params": ["axis", "epsilon", "center", "scale", "rms_scaling", "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"],
        "defaults": {"epsilon": "1e-3"},
    },
    "Dropout": {"kind": "dropout", "params": ["rate", "noise_shape", "seed"]},
    "SpatialDropout1D": {"kind": "spatial_dropout", "dims": 1, "params": ["rate", "seed"]},
    "SpatialDropout2D": {"kind": "spatial_dropout", "dims": 2, "params": ["rate", "data_format", "seed"]},
    "Flatten": {"kind": "flatten", "params": ["data_format"]},
    "Embedding": {
        "kind": "embedding",
        "params": ["input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer", "embeddings_constraint", "mask_zero", "weights", "input_length"],
    },
    "Activation": {"kind": "activation", "params": ["activation"]},
    "ReLU": {"kind": "relu", "params": ["max_value", "negative_slope", "threshold"]},
    "LeakyReLU": {"kind": "simple_activation", "params": ["negative_slope"], "aliases": {"alpha": "negative_slope"}, "defaults": {"negative_slope": "0.3"}, "to": "nn.LeakyReLU($negative_slope)", "layout": "elementwise"},
    "ELU": {"kind": "simple_activation", "params": ["alpha"], "defaults": {"alpha": "1.0"}, "to": "nn.ELU(alpha=$alpha)", "layout": "elementwise"},
    "Softmax": {"kind": "simple_activation", "params": ["axis"], "defaults": {"axis": "-1"}, "to": "nn.Softmax(dim=$axis)", "layout": "lastaxis"},
    "LSTM": {"kind": "rnn", "rnn": "LSTM", "params": _RNN},
    "GRU": {"kind": "rnn", "rnn": "GRU", "params": [*_RNN, "reset_after"]},
    "Bidirectional": {"kind": "bidirectional", "params": ["layer", "merge_mode", "weights", "backward_layer"]},
    "Conv1DTranspose": {"kind": "conv_transpose", "dims": 1, "params": _CONV_T},
    "Conv2DTranspose": {"kind": "conv_transpose", "dims": 2, "params": _CONV_T},
    "Conv3DTranspose": {"kind": "conv_transpose", "dims": 3, "params": _CONV_T},
    "DepthwiseConv1D": {"kind": "depthwise", "dims": 1, "params": _DEPTHWISE},
    "DepthwiseConv2D": {"kind": "depthwise", "dims": 2, "params": _DEPTHWISE},
    "SeparableConv1D": {"kind": "separable", "dims": 1, "params": _SEPARABLE},
    "SeparableConv2D": {"kind": "separable", "dims": 2, "params": _SEPARABLE},
    "Reshape": {"kind": "reshape", "params": ["target_shape"]},
    "Permute": {"kind": "permute", "params": ["dims"]},
}

# Keras aliases of the same classes.
for _alias, _name in {
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "Convolution3D": "Conv3D",
    "Convolution2DTranspose": "Conv2DTranspose",
    "SeparableConvolution2D": "SeparableConv2D",
    "MaxPool1D": "MaxPooling1D",
    "MaxPool2D": "MaxPooling2D",
    "MaxPool3D": "MaxPooling3D",
    "AvgPool1D": "AveragePooling1D",
    "AvgPool2D": "AveragePooling2D",
    "AvgPool3D": "AveragePooling3D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D",
    "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalAvgPool3D": "GlobalAveragePooling3D",
    "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D",
    "GlobalMaxPool3D": "GlobalMaxPooling3D",
}.items():
    LAYERS[_alias] = LAYERS[_name]

# Arguments every Keras layer accepts; the builder uses or drops them.
COMMON_ARGS = ("name", "dtype", "trainable", "input_shape", "batch_input_shape", "batch_size", "input_dim", "autocast")

# Activation name -> (torch module, functional form with $x, layout of the module).
# Keras 3 definitions: gelu is exact (erf) unless approximate=True, leaky_relu's slope is
# 0.2, softmax/log_softmax work on the last axis, elu's alpha is 1.0.
ACTIVATIONS: dict[str, tuple[str | None, str, str]] = {
    "relu": ("nn.ReLU()", "torch.relu($x)", "elementwise"),
    "sigmoid": ("nn.Sigmoid()", "torch.sigmoid($x)", "elementwise"),
    "tanh": ("nn.Tanh()", "torch.tanh($x)", "elementwise"),
    "softmax": ("nn.Softmax(dim=-1)", "torch.softmax($x, dim=-1)", "lastaxis"),
    "log_softmax": ("nn.LogSoftmax(dim=-1)", "torch.log_softmax($x, dim=-1)", "lastaxis"),
    "gelu": ("nn.GELU(approximate='none')", "F.gelu($x, approximate='none')", "elementwise"),
    "elu": ("nn.ELU(alpha=1.0)", "F.elu($x, alpha=1.0)", "elementwise"),
    "selu": ("nn.SELU()", "F.selu($x)", "elementwise"),
    "softplus": ("nn.Softplus()", "F.softplus($x)", "elementwise"),
    "softsign": ("nn.Softsign()", "F.softsign($x)", "elementwise"),
    "swish": ("nn.SiLU()", "F.silu($x)", "elementwise"),
    "silu": ("nn.SiLU()", "F.silu($x)", "elementwise"),
    "leaky_relu": ("nn.LeakyReLU(0.2)", "F.leaky_relu($x, 0.2)", "elementwise"),
    "relu6": ("nn.ReLU6()", "F.relu6($x)", "elementwise"),
    "mish": ("nn.Mish()", "F.mish($x)", "elementwise"),
    "exponential": (None, "torch.exp($x)", "elementwise"),
    # Keras 3: hard_sigmoid(x) = relu6(x + 3) / 6 (Keras 2 used clip(0.2 x + 0.5), which
    # tf_keras still does), hard_silu(x) = x * hard_sigmoid(x): exactly torch's definitions
    "hard_sigmoid": ("nn.Hardsigmoid()", "F.hardsigmoid($x)", "elementwise"),
    "hard_silu": ("nn.Hardswish()", "F.hardswish($x)", "elementwise"),
    "hard_swish": ("nn.Hardswish()", "F.hardswish($x)", "elementwise"),
}

# TensorFlow functions usable as `activation=` (after `tensorflow.`) -> activation name.
ACTIVATION_FUNCTIONS: dict[str, str] = {
    "nn.relu": "relu",
    "nn.sigmoid": "sigmoid",
    "sigmoid": "sigmoid",
    "math.sigmoid": "sigmoid",
    "nn.tanh": "tanh",
    "tanh": "tanh",
    "math.tanh": "tanh",
    "nn.softmax": "softmax",
    "math.softmax": "softmax",
    "nn.log_softmax": "log_softmax",
    "nn.gelu": "gelu",
    "nn.elu": "elu",
    "nn.selu": "selu",
    "nn.softplus": "softplus",
    "math.softplus": "softplus",
    "nn.softsign": "softsign",
    "nn.swish": "swish",
    "nn.silu": "silu",
    "nn.leaky_relu": "leaky_relu",
    "nn.relu6": "relu6",
    "exp": "exponential",
    "math.exp": "exponential",
}
for _act in ACTIVATIONS:
    ACTIVATION_FUNCTIONS[f"keras.activations.{_act}"] = _act
