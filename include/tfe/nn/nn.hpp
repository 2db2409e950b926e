// tfe/nn/nn.hpp: Keras-like models on private tensors, namespace tfe::keras.
//
// Why tfe::keras: the seed (TF Encrypted) exposes its layers and models as tfe.keras (Sequential,
// Dense, Conv2D, ...), mirroring tf.keras; the same names and options here let a Keras model
// description carry over line by line, and keep the CamelCase layer names (Dense, Conv2D) out of
// the snake_case namespace tfe, where tfe::relu, tfe::conv2d, ... are the ops on tensors.
//
//   nn/specs.hpp        layer configurations, architecture, shape inference, JSON, initial weights
//   nn/layer.hpp        the runtime layer interface, variables, activations
//   nn/core_layers.hpp  Dense, Flatten, Reshape, BatchNormalization
//   nn/conv_layers.hpp  Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D
//   nn/losses.hpp       MeanSquaredError, BinaryCrossentropy, CategoricalCrossentropy, accuracy
//   nn/optimizers.hpp   SGD (momentum), Adam
//   nn/sequential.hpp   Sequential<P>: predict, evaluate, compile, fit
//   nn/model_io.hpp     weight and model files (.npz), sharing a model from its owner
//   nn/player.hpp       player<Derived>: member functions as private inputs and outputs
// docs/keras.md describes the design; io/idx.hpp reads (Fashion-)MNIST.
#pragma once

#include "tfe/io/idx.hpp"
#include "tfe/io/npy.hpp"
#include "tfe/nn/model_io.hpp"
#include "tfe/nn/player.hpp"
#include "tfe/nn/sequential.hpp"
