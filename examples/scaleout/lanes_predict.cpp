// lanes_predict: batch inference of a Fashion-MNIST model (models/fashion_mnist_{cnn,mlp}.npz) with
// every party split into K lanes (docs/scaleout.md).
//
//   mpirun -np K lanes_predict --hosts H --player NAME [--model cnn] [--images N] [--batch B]
//                              [--out logits.npy] [--stats DIR] [--protocol aby3|pond]
//   bash scripts/launch_local.sh --lanes K -- build/examples/scaleout/lanes_predict --images 32
//
// Players: the protocol's servers, "model-owner" (reads the .npz model) and "client" (reads the
// first N Fashion-MNIST test images, receives the logits). Lane i of every party is one MPC instance:
// the model is shared once in lane 0's instance and broadcast to the other lanes inside each party
// (tfe/scaleout/lanes_keras.hpp); lane i's client shares its slice of the images (rows ⌊N·i/K⌋ to
// ⌊N·(i+1)/K⌋), receives its slice's logits, and the client's lanes gather them to its lane 0, which
// writes --out (float64) and prints the accuracy. --first F starts at test image F (the K = 1 run of a
// lane's slice, to compare its bytes and rounds). --stats DIR: every lane writes its bytes and rounds
// per phase (model, predict), its party-internal bytes and, with --simulate lan|wan, its simulated
// seconds to DIR/PLAYER.lane-I.json.
#include "lanes_common.hpp"

#include <tfe/scaleout/lanes_keras.hpp>

#include <cmath>
#include <iomanip>
#include <string>

#ifndef TFE_SOURCE_DIR
#define TFE_SOURCE_DIR "."
#endif

namespace {

namespace keras = tfe::keras;

struct options {
  std::string protocol = "aby3", model = "cnn", out, stats, expect;
  double bound = 1e-3;
  std::size_t images = 32, first = 0, batch = 0;
  tfe::launch_flags launch;
};

options parse(int argc, char** argv) {
  options o;
  CLI::App app{"lanes_predict: Fashion-MNIST inference with K lanes per party (mpirun -np K)"};
  app.add_option("--protocol", o.protocol, "aby3 (default) or pond");
  app.add_option("--model", o.model, "cnn (default), mlp, or the path of a .npz model file");
  app.add_option("--images", o.images, "test images to classify (default 32)");
  app.add_option("--first", o.first, "the first test image (default 0)");
  app.add_option("--batch", o.batch, "prediction batch size per lane (default: the lane's slice at once)");
  app.add_option("--out", o.out, "where the client's lane 0 writes the logits (.npy, float64)");
  app.add_option("--expect", o.expect,
                 "logits of another run (.npy) the client's lane 0 compares with (exit 1 if far)");
  app.add_option("--bound", o.bound, "largest difference from --expect (default 1e-3: the spread of two K = 1 runs)");
  app.add_option("--stats", o.stats, "directory for every lane's statistics (PLAYER.lane-I.json)");
  o.launch.add_to(app);
  tfe::parse_command_line(app, o.launch, argc, argv);
  if (o.model == "cnn" || o.model == "mlp")
    o.model = std::string(TFE_SOURCE_DIR) + "/models/fashion_mnist_" + o.model + ".npz";
  return o;
}

/// Throws unless `y` is within o.bound of `ref` (elementwise) and has the same predicted class
/// wherever ref's top two logits are farther apart than twice the bound.
void compare(const xt::xarray<double>& y, const xt::xarray<double>& ref, const options& o) {
  TFE_ENFORCE(y.shape() == ref.shape(), tfe::shape_error, o.expect, " holds logits of shape ",
              tfe::shape_str(tfe::shape_of(ref)), " but this run's are ", tfe::shape_str(tfe::shape_of(y)));
  double diff = 0;
  for (std::size_t i = 0; i < y.size(); ++i) diff = std::max(diff, std::abs(y.flat(i) - ref.flat(i)));
  std::size_t changed = 0;
  for (std::size_t r = 0; r < y.shape()[0]; ++r) {
    xt::xarray<double> row = xt::view(ref, r);
    const auto top = static_cast<std::size_t>(xt::argmax(row)());
    const double best = row(top);
    row(top) = -1e300;
    const bool clear = best - xt::amax(row)() > 2 * o.bound;
    changed += clear && static_cast<std::size_t>(xt::argmax(xt::view(y, r))()) != top;
  }
  std::cout << "client: largest difference from " << o.expect << ": " << diff << " (bound " << o.bound << "), "
            << changed << " predictions changed\n";
  TFE_ENFORCE(diff <= o.bound && changed == 0, tfe::error, "the logits differ from ", o.expect, " by ", diff,
              " (bound ", o.bound, "), ", changed, " predicted classes changed");
}

template <class P>
void run(const options& o, tfe::scaleout::party_lanes& lanes) {
  const auto players = examples::scaleout::lane_players<P>("client");
  const auto [lo, hi] = lanes.slice_of(o.images);
  std::optional<tfe::io::image_dataset> test;
  tfe::scaleout::run_lane<P>(o.launch, lanes, players, [&](tfe::session<P>& s) {
    // Each phase in an op scope of its own: its bytes and rounds do not depend on what came before
    // (a lane > 0 shares no model), so they compare with a K = 1 run of the lane's slice.
    std::optional<keras::Sequential<P>> model;
    {
      auto scope = s.op_scope("lanes.model");
      model.emplace(
          tfe::scaleout::share_model_once(lanes, s, "model-owner", [&] { return keras::load_model_file(o.model); }));
    }
    xt::xarray<double> mine;
    {
      auto scope = s.op_scope("lanes.predict");
      // One write for the whole line: the K lanes of a party share its log, and a line written piece by
      // piece interleaves with another lane's (tests/scaleout/lanes_killed_rank_test.sh reads it).
      std::cerr << (lanes.where() + ": predicting rows " + std::to_string(o.first + lo) + "-" +
                    std::to_string(o.first + hi) + "\n")
                << std::flush;
      auto x = s.define_private_input("client", [&] {
        test = tfe::io::load_fashion_mnist("test", o.first + o.images);
        TFE_ENFORCE(test->labels.size() == o.first + o.images, tfe::shape_error, "--first ", o.first, " --images ",
                    o.images, ": the test set has only ", test->labels.size(), " images");
        return xt::xarray<double>(xt::view(test->images, xt::range(o.first + lo, o.first + hi)));
      });
      auto logits = model->predict(x, o.batch);
      s.define_output(
          "client", [&](const xt::xarray<double>& v) { mine = v; }, logits);
    }
    nlohmann::json j = {{"rows", {o.first + lo, o.first + hi}},
                        {"params", model->count_params()},
                        {"architecture_bytes", keras::to_json(keras::resolve_names(model->arch())).dump().size()},
                        {"model", tfe::scaleout::phase_json(s.stats().tag("lanes.model"))},
                        {"predict", tfe::scaleout::phase_json(s.stats().tag("lanes.predict"))}};
    // With --simulate: this player's time on the simulated network (its computation + waiting).
    if (auto seconds = tfe::simulated_seconds(s)) j["simulated_seconds"] = *seconds;
    if (s.name() == "client") {
      auto all = lanes.gather_rows(mine, "logits");
      if (all) {
        std::size_t right = 0;
        for (std::size_t i = 0; i < o.images; ++i)
          right += static_cast<std::size_t>(xt::argmax(xt::view(*all, i))()) == test->labels(o.first + i);
        std::cout << "client: " << o.images << " images over " << lanes.lanes() << " lane(s), accuracy "
                  << std::setprecision(4) << double(right) / double(std::max<std::size_t>(o.images, 1)) << " (" << right
                  << "/" << o.images << ")\n";
        if (!o.out.empty()) tfe::io::save_npy(o.out, *all, tfe::io::npy_dtype::f8);
        if (!o.expect.empty()) compare(*all, tfe::io::load_npy(o.expect), o);
      }
    }
    tfe::scaleout::report_lane(o.stats, lanes, s.name(), std::move(j));
  });
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::scaleout::lane_main(argc, argv, [&](tfe::scaleout::party_lanes& lanes) {
    const options o = parse(argc, argv);
    examples::scaleout::with_lane_protocol(o.protocol, [&]<class P>() { run<P>(o, lanes); });
  });
}
