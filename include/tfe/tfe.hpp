// tfe/tfe.hpp: the umbrella header: everything a program needs.
#pragma once

#include "tfe/config.hpp"
#include "tfe/crypto/prg.hpp"
#include "tfe/net/channel.hpp"
#include "tfe/net/memory_network.hpp"
#include "tfe/ops/arithmetic.hpp"
#include "tfe/ops/conv.hpp"
#include "tfe/ops/nonlinear.hpp"
#include "tfe/ops/structure.hpp"
#include "tfe/protocol/plain/plain.hpp"
#include "tfe/protocol/pond/pond.hpp"
#include "tfe/ring/fixed_point.hpp"
#include "tfe/ring/ring_traits.hpp"
#include "tfe/ring/tensor_ops.hpp"
#include "tfe/runner.hpp"
#include "tfe/session.hpp"
#include "tfe/tensor.hpp"
