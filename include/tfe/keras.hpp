// tfe/keras.hpp: tfe::keras, Keras-like models over private tensors (layers, Sequential, losses,
// optimizers, .npz model files, a model owner's player helpers) and the dataset readers (IDX, .npy).
// Brings in nlohmann::json and zlib; the core (tfe/tfe.hpp) does not need them.
#pragma once

#include "tfe/io/idx.hpp"
#include "tfe/io/npy.hpp"
#include "tfe/nn/model_io.hpp"
#include "tfe/nn/nn.hpp"
#include "tfe/nn/player.hpp"
#include "tfe/nn/sequential.hpp"
#include "tfe/tfe.hpp"
