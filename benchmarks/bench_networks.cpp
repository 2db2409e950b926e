// Network benchmarks: whole models, inference and training steps, with every player in one process.
//
//   build/benchmarks/bench_networks [--protocol plain,pond,securenn,aby3] [--filter mlp] [--quick] [--trace t.json]
//
// Workloads (issue 8): the 784-128-128-10 MLP ("network A" of the SecureNN paper) inference at batch
// 1, 10, 100, 128 and 512 and one SGD training step at batch 128; logistic regression (784 features) training
// step at batch 128, and one epoch over 10,000 × 30 private values at batch 128; the LeNet-style CNN
// (conv 5×5×8, max-pool, conv 5×5×16, max-pool, dense 64, dense 10) inference at batch 1, 10 and 128
// and a training step at batch 128. Weights are random (shared by server0 before timing); inputs are
// shared before timing too, so the figures exclude input sharing.
#include "common.hpp"

namespace {

namespace keras = tfe::keras;
using tfe::shape_t;

std::vector<keras::layer_spec> mlp_layers() {
  return {keras::Dense{.units = 128, .activation = "relu"}, keras::Dense{.units = 128, .activation = "relu"},
          keras::Dense{.units = 10}};
}
std::vector<keras::layer_spec> cnn_layers() {
  return {keras::Conv2D{.filters = 8, .kernel_size = {5, 5}, .activation = "relu"},
          keras::MaxPooling2D{},
          keras::Conv2D{.filters = 16, .kernel_size = {5, 5}, .activation = "relu"},
          keras::MaxPooling2D{},
          keras::Flatten{},
          keras::Dense{.units = 64, .activation = "relu"},
          keras::Dense{.units = 10}};
}

xt::xarray<double> one_hot(std::size_t n, std::size_t classes, bench::data_rng& rng) {
  xt::xarray<double> y = xt::zeros<double>({n, classes});
  for (std::size_t i = 0; i < n; ++i) {
    auto c = static_cast<std::size_t>((rng.uniform(1.0) + 1.0) * 0.5 * static_cast<double>(classes));
    y(i, std::min(c, classes - 1)) = 1.0;
  }
  return y;
}

template <class P>
void networks(const bench::options& opt, const std::string& pname, tfe::trace_recorder* trace) {
  const auto players = P::default_players();
  const std::string owner = players[0];
  auto emit = [&](const std::string& workload, const std::string& params, const bench::run_result& r) {
    std::cout << bench::to_json("networks", pname, workload, params, r) << std::endl;
  };
  auto batch_param = [](std::size_t b) { return "\"batch\":" + std::to_string(b); };

  // ---- MLP inference -----------------------------------------------------------------------------
  for (std::size_t batch : {std::size_t(1), std::size_t(10), std::size_t(100), std::size_t(128), std::size_t(512)}) {
    if (!opt.wants("mlp_inference") || (opt.quick && (batch == 100 || batch == 512))) continue;
    auto r = bench::run<P>(
        opt, players,
        [&](auto& s) {
          auto model = std::make_shared<keras::Sequential<P>>(s, shape_t{784}, mlp_layers());
          model->initialize(owner, 1);
          bench::data_rng rng(7);
          auto x = s.define_private_input(owner, [&] { return rng.tensor({batch, 784}, 1.0); });
          return [model, x] { (void)model->predict(x); };
        },
        trace);
    emit("mlp_inference", batch_param(batch), r);
  }
  // ---- MLP training step ---------------------------------------------------------------------------
  if (opt.wants("mlp_train")) {
    const std::size_t batch = opt.quick ? 32 : 128;
    auto r = bench::run<P>(
        opt, players,
        [&](auto& s) {
          auto model = std::make_shared<keras::Sequential<P>>(s, shape_t{784}, mlp_layers());
          model->initialize(owner, 1);
          model->compile(keras::CategoricalCrossentropy{.from_logits = true}, keras::SGD{.learning_rate = 0.01});
          bench::data_rng rng(8);
          auto x = s.define_private_input(owner, [&] { return rng.tensor({batch, 784}, 1.0); });
          auto y = s.define_private_input(owner, [&] { return one_hot(batch, 10, rng); });
          return [model, x, y] { (void)model->train_on_batch(x, y); };
        },
        trace);
    emit("mlp_train_step", batch_param(batch), r);
  }
  // ---- logistic regression ---------------------------------------------------------------------------
  if (opt.wants("logreg")) {
    const std::size_t batch = opt.quick ? 32 : 128;
    auto r = bench::run<P>(
        opt, players,
        [&](auto& s) {
          auto model = std::make_shared<keras::Sequential<P>>(
              s, shape_t{784}, std::vector<keras::layer_spec>{keras::Dense{.units = 1, .activation = "sigmoid"}});
          model->initialize(owner, 1);
          model->compile(keras::BinaryCrossentropy{}, keras::SGD{.learning_rate = 0.1});
          bench::data_rng rng(9);
          auto x = s.define_private_input(owner, [&] { return rng.tensor({batch, 784}, 1.0); });
          auto y = s.define_private_input(owner, [&] {
            xt::xarray<double> t = xt::zeros<double>({batch, std::size_t(1)});
            for (auto& v : t) v = rng.uniform(1.0) > 0 ? 1.0 : 0.0;
            return t;
          });
          return [model, x, y] { (void)model->train_on_batch(x, y); };
        },
        trace);
    emit("logreg_train_step", batch_param(batch) + ",\"features\":784", r);
  }
  if (opt.wants("logreg_epoch")) {
    const std::size_t rows = opt.quick ? 1280 : 10000, features = 30, batch = 128;
    auto r = bench::run<P>(
        opt, players,
        [&](auto& s) {
          auto model = std::make_shared<keras::Sequential<P>>(
              s, shape_t{features}, std::vector<keras::layer_spec>{keras::Dense{.units = 1, .activation = "sigmoid"}});
          model->initialize(owner, 1);
          model->compile(keras::BinaryCrossentropy{}, keras::SGD{.learning_rate = 0.1});
          bench::data_rng rng(10);
          auto x = s.define_private_input(owner, [&] { return rng.tensor({rows, features}, 1.0); });
          auto y = s.define_private_input(owner, [&] {
            xt::xarray<double> t = xt::zeros<double>({rows, std::size_t(1)});
            for (auto& v : t) v = rng.uniform(1.0) > 0 ? 1.0 : 0.0;
            return t;
          });
          return [model, x, y] { (void)model->fit(x, y, {.epochs = 1, .batch_size = batch, .verbose = false}); };
        },
        trace);
    emit("logreg_epoch", batch_param(batch) + ",\"rows\":" + std::to_string(rows) + ",\"features\":30", r);
  }
  // ---- CNN ---------------------------------------------------------------------------------------------
  for (std::size_t batch : {std::size_t(1), std::size_t(10), std::size_t(128)}) {
    if (!opt.wants("cnn_inference") || (opt.quick && batch > 10)) continue;
    auto r = bench::run<P>(
        opt, players,
        [&](auto& s) {
          auto model = std::make_shared<keras::Sequential<P>>(s, shape_t{28, 28, 1}, cnn_layers());
          model->initialize(owner, 1);
          bench::data_rng rng(11);
          auto x = s.define_private_input(owner, [&] { return rng.tensor({batch, 28, 28, 1}, 1.0); });
          return [model, x] { (void)model->predict(x); };
        },
        trace);
    emit("cnn_inference", batch_param(batch), r);
  }
  if (opt.wants("cnn_train")) {
    const std::size_t batch = opt.quick ? 8 : 128;
    auto r = bench::run<P>(
        opt, players,
        [&](auto& s) {
          auto model = std::make_shared<keras::Sequential<P>>(s, shape_t{28, 28, 1}, cnn_layers());
          model->initialize(owner, 1);
          model->compile(keras::CategoricalCrossentropy{.from_logits = true}, keras::SGD{.learning_rate = 0.01});
          bench::data_rng rng(12);
          auto x = s.define_private_input(owner, [&] { return rng.tensor({batch, 28, 28, 1}, 1.0); });
          auto y = s.define_private_input(owner, [&] { return one_hot(batch, 10, rng); });
          return [model, x, y] { (void)model->train_on_batch(x, y); };
        },
        trace);
    emit("cnn_train_step", batch_param(batch), r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    auto opt = bench::options::parse(argc, argv, "tfe network benchmarks (JSON lines on stdout)");
    bench::for_each_protocol(
        opt, [&]<class P>(const std::string& name, tfe::trace_recorder* trace) { networks<P>(opt, name, trace); });
    return 0;
  });
}
