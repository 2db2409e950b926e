// Encrypted training on joint data (the seed's third program): two data owners provide private
// training data, which the servers join with concat(axis 0) and use to train a logistic regression
// with mini-batch SGD, entirely on shares. Only the model owner receives the trained weights; it
// reports their test accuracy next to the same training run on the plain protocol.
//
//   build/examples/joint_training [--protocol pond|pond128|plain|aby3|aby3_128] [--small] [--check]
#include "common.hpp"

#include <chrono>

namespace {

constexpr std::size_t dim = 10;

struct labelled {
  xt::xarray<double> x, y;  // y is (n, 1) with 0/1 labels
};

/// Two overlapping Gaussian classes; each owner gets its own sample.
labelled make_data(std::size_t n, std::uint64_t seed) {
  examples::data_rng rng(seed);
  labelled d{xt::zeros<double>({n, dim}), xt::zeros<double>({n, std::size_t(1)})};
  for (std::size_t i = 0; i < n; ++i) {
    int c = static_cast<int>(rng.next() % 2);
    d.y(i, 0) = c;
    for (std::size_t j = 0; j < dim; ++j) d.x(i, j) = (c ? 0.6 : -0.6) * std::cos(0.9 * j) + rng.normal();
  }
  return d;
}

struct data_owner {
  std::string player_name;
  labelled data;
  std::pair<xt::xarray<double>, xt::xarray<double>> provide_training_data() const { return {data.x, data.y}; }
};

struct model_owner {
  std::string player_name = "model-owner";
  xt::xarray<double> w, b;
  void receive_weights(const std::vector<xt::xarray<double>>& wb) {
    w = wb.at(0);
    b = wb.at(1);
  }
  double accuracy(const labelled& test) const {
    xt::xarray<double> z = examples::dmatmul(test.x, w) + b;
    std::size_t ok = 0;
    for (std::size_t i = 0; i < test.y.shape()[0]; ++i) ok += (z(i, 0) > 0) == (test.y(i, 0) > 0.5);
    return static_cast<double>(ok) / static_cast<double>(test.y.shape()[0]);
  }
};

/// The program every player runs.
template <class Session>
void joint_training(Session& s, const data_owner& owner0, const data_owner& owner1, model_owner& model, int epochs,
                    std::size_t batch) {
  auto [x_train_0, y_train_0] =
      s.define_private_input(owner0.player_name, [&] { return owner0.provide_training_data(); });
  auto [x_train_1, y_train_1] =
      s.define_private_input(owner1.player_name, [&] { return owner1.provide_training_data(); });

  auto x_train = tfe::concat({x_train_0, x_train_1}, 0);
  auto y_train = tfe::concat({y_train_0, y_train_1}, 0);

  // logistic regression, weights start at zero (a public constant, shared trivially)
  auto w = tfe::to_private(s.constant(xt::zeros<double>({dim, std::size_t(1)})));
  auto b = tfe::to_private(s.constant(xt::zeros<double>({std::size_t(1)})));
  const double lr = 0.5;
  const std::size_t n = x_train.shape()[0];
  for (int epoch = 0; epoch < epochs; ++epoch)
    for (std::size_t start = 0; start + batch <= n; start += batch) {
      auto xb = tfe::slice(x_train, 0, start, start + batch);
      auto yb = tfe::slice(y_train, 0, start, start + batch);
      auto p = tfe::sigmoid(tfe::matmul(xb, w) + b);
      auto err = p - yb;
      auto grad_w = tfe::matmul(tfe::transpose(xb), err) / static_cast<double>(batch);
      w = w - grad_w * lr;
      b = b - tfe::mean(err, {0}) * lr;
    }
  s.define_output(
      model.player_name, [&](const std::vector<xt::xarray<double>>& wb) { model.receive_weights(wb); },
      std::vector{w, b});
}

template <class P>
model_owner run(const examples::flags& f, const data_owner& o0, const data_owner& o1, int epochs, std::size_t batch) {
  model_owner model;
  examples::run<P>(f, examples::players<P>({o0.player_name, o1.player_name, model.player_name}),
                   [&](auto& s) { joint_training(s, o0, o1, model, epochs, batch); });
  return model;
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    auto f = examples::flags::parse(argc, argv);
    const std::size_t per_owner = f.small ? 128 : 1024, batch = 32;
    const int epochs = f.small ? 2 : 5;
    data_owner o0{"data-owner-0", make_data(per_owner, 21)}, o1{"data-owner-1", make_data(per_owner, 22)};
    labelled test = make_data(2000, 23);
    int rc = 0;
    examples::with_protocol(f.protocol, [&]<class P>() {
      auto t0 = std::chrono::steady_clock::now();
      auto enc = run<P>(f, o0, o1, epochs, batch);
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (examples::done_elsewhere(f, enc.player_name)) return;
      auto ref = run<examples::reference_of<P>>(f.local(), o0, o1, epochs, batch);
      std::cout << "logistic regression on " << 2 * per_owner << " joint rows, " << epochs << " epochs, batch " << batch
                << ", " << P::name() << " in " << secs << " s\n"
                << "  test accuracy encrypted " << enc.accuracy(test) << ", plain " << ref.accuracy(test) << "\n";
      // Both runs use the same piecewise-linear sigmoid and fixed-point ops; they differ only by the
      // share-local truncations (≤ 1 ulp = 2^-16 each), which SGD accumulates to well under 0.01.
      double diff = std::max(examples::max_abs_diff(enc.w, ref.w), examples::max_abs_diff(enc.b, ref.b));
      rc = examples::report(f, "trained weights", diff, 0.01);
    });
    return rc;
  });
}
