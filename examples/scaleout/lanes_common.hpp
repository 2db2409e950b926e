// examples/scaleout/lanes_common.hpp: what the scale-out examples share (docs/scaleout.md): their
// protocols and players. Running a lane (its hosts, run id, errors, end of the run, its report) is
// the library's: tfe/scaleout/lanes_launch.hpp.
#pragma once

#include <tfe/keras.hpp>
#include <tfe/runtime/cli.hpp>
#include <tfe/scaleout/lanes_launch.hpp>

#include <iostream>
#include <string>

namespace examples::scaleout {

/// --protocol: the protocols the lane programs are compiled for (ring64).
template <class F>
void with_lane_protocol(const std::string& name, F&& f) {
  if (name == "aby3") return f.template operator()<tfe::aby3<tfe::ring64>>();
  if (name == "pond") return f.template operator()<tfe::pond<tfe::ring64>>();
  throw tfe::config_error("--protocol " + name + ": the lane programs run aby3 or pond (64-bit ring)");
}

/// The players of a lane program under P: the protocol's, then the model owner and the data owner.
template <class P>
std::vector<std::string> lane_players(const std::string& data_owner) {
  auto p = P::default_players();
  p.push_back("model-owner");
  p.push_back(data_owner);
  return p;
}

}  // namespace examples::scaleout
