// Private prediction (the seed's first program): a model owner's network classifies a prediction
// client's inputs; only the client sees the inputs and the logits, the servers see shares only.
//
//   build/examples/private_prediction [--protocol pond|pond128|plain|aby3|aby3_128|securenn] [--small] [--check]
//   bash scripts/launch_local.sh -- build/examples/private_prediction --protocol aby3   (a process per player)
//
// The model owner trains a small MLP (8-16-16-3, ReLU) on its own synthetic data in plaintext (its
// private business), then the encrypted prediction runs under the chosen protocol and under the plain
// reference protocol on the same inputs; the program prints both accuracies and the largest logit
// difference (bounded by the fixed-point error of the three layers).
#include "common.hpp"

#include <chrono>
#include <optional>

namespace {

constexpr std::size_t dim = 8, hidden = 16, classes = 3;

/// Synthetic data: three Gaussian blobs around fixed centres.
struct dataset {
  xt::xarray<double> x;
  xt::xarray<int> y;
};

dataset make_blobs(std::size_t n, std::uint64_t seed) {
  examples::data_rng rng(seed);
  dataset d{xt::zeros<double>({n, dim}), xt::zeros<int>({n})};
  for (std::size_t i = 0; i < n; ++i) {
    int c = static_cast<int>(rng.next() % classes);
    d.y(i) = c;
    for (std::size_t j = 0; j < dim; ++j) d.x(i, j) = 1.5 * std::cos(2.1 * c + 0.7 * j) + 1.6 * rng.normal();
  }
  return d;
}

/// The model owner: trains its network in plaintext, then provides the weights as private inputs.
struct model_owner {
  std::vector<xt::xarray<double>> params;  // w0, b0, w1, b1, w2, b2

  /// Plain SGD on softmax cross-entropy, by hand (the model owner's local, plaintext training).
  void train(const dataset& d, std::uint64_t seed) {
    using examples::dmatmul;
    examples::data_rng rng(seed);
    auto init = [&](std::size_t a, std::size_t b) {
      xt::xarray<double> w = xt::zeros<double>({a, b});
      for (auto& v : w) v = rng.normal() * std::sqrt(2.0 / static_cast<double>(a));
      return w;
    };
    auto& p = params;
    p = {init(dim, hidden),           xt::zeros<double>({hidden}), init(hidden, hidden),
         xt::zeros<double>({hidden}), init(hidden, classes),       xt::zeros<double>({classes})};
    const double lr = 0.05;
    const std::size_t n = d.x.shape()[0], batch = 32;
    for (int epoch = 0; epoch < 20; ++epoch)
      for (std::size_t s = 0; s + batch <= n; s += batch) {
        xt::xarray<double> x = xt::view(d.x, xt::range(s, s + batch), xt::all());
        xt::xarray<double> z0 = dmatmul(x, p[0]) + p[1];
        xt::xarray<double> h0 = xt::maximum(z0, 0.0);
        xt::xarray<double> z1 = dmatmul(h0, p[2]) + p[3];
        xt::xarray<double> h1 = xt::maximum(z1, 0.0);
        xt::xarray<double> logits = dmatmul(h1, p[4]) + p[5];
        // softmax cross-entropy gradient: softmax(logits) - onehot(y), averaged over the batch
        xt::xarray<double> e = xt::exp(logits - xt::view(xt::amax(logits, {1}), xt::all(), xt::newaxis()));
        xt::xarray<double> g = e / xt::view(xt::sum(e, {1}), xt::all(), xt::newaxis());
        for (std::size_t i = 0; i < batch; ++i) g(i, static_cast<std::size_t>(d.y(s + i))) -= 1.0;
        g /= static_cast<double>(batch);
        xt::xarray<double> gw2 = dmatmul(xt::transpose(h1), g), gb2 = xt::sum(g, {0});
        xt::xarray<double> g1 = dmatmul(g, xt::transpose(p[4])) * (z1 > 0.0);
        xt::xarray<double> gw1 = dmatmul(xt::transpose(h0), g1), gb1 = xt::sum(g1, {0});
        xt::xarray<double> g0 = dmatmul(g1, xt::transpose(p[2])) * (z0 > 0.0);
        xt::xarray<double> gw0 = dmatmul(xt::transpose(x), g0), gb0 = xt::sum(g0, {0});
        p[0] -= lr * gw0;
        p[1] -= lr * gb0;
        p[2] -= lr * gw1;
        p[3] -= lr * gb1;
        p[4] -= lr * gw2;
        p[5] -= lr * gb2;
      }
  }
};

/// The prediction client: provides its inputs and receives the logits (nobody else sees either).
struct prediction_client {
  xt::xarray<double> inputs;
  xt::xarray<double> logits;

  xt::xarray<double> provide_input() const { return inputs; }
  void receive_output(const xt::xarray<double>& l) { logits = l; }
};

/// The program every player runs (the seed's first snippet).
template <class Session>
void private_prediction(Session& s, const model_owner& owner, prediction_client& client) {
  auto w0 = s.define_private_input("model-owner", [&] { return owner.params[0]; });
  auto b0 = s.define_private_input("model-owner", [&] { return owner.params[1]; });
  auto w1 = s.define_private_input("model-owner", [&] { return owner.params[2]; });
  auto b1 = s.define_private_input("model-owner", [&] { return owner.params[3]; });
  auto w2 = s.define_private_input("model-owner", [&] { return owner.params[4]; });
  auto b2 = s.define_private_input("model-owner", [&] { return owner.params[5]; });

  // run provide_input locally on the client and encrypt
  auto x = s.define_private_input("prediction-client", [&] { return client.provide_input(); });

  // compute prediction on the encrypted input
  auto layer0 = tfe::relu(tfe::matmul(x, w0) + b0);
  auto layer1 = tfe::relu(tfe::matmul(layer0, w1) + b1);
  auto logits = tfe::matmul(layer1, w2) + b2;

  // send results back to the client, decrypt, and run receive_output locally
  s.define_output(
      "prediction-client", [&](const xt::xarray<double>& l) { client.receive_output(l); }, logits);
}

/// Runs the program under P as the flags say (every player here, or only --player over TCP) and
/// returns the logits in the process that runs the prediction client.
template <class P>
std::optional<xt::xarray<double>> predict(const examples::flags& f, const model_owner& owner,
                                          const xt::xarray<double>& inputs, tfe::statistics* server_stats) {
  prediction_client client{inputs, {}};
  auto stats = examples::run<P>(f, examples::players<P>({"model-owner", "prediction-client"}), [&](auto& s) {
    private_prediction(s, owner, client);
    return s.stats();
  });
  if (server_stats && stats[0]) *server_stats = *stats[0];
  if (!f.runs_here("prediction-client")) return std::nullopt;
  return client.logits;
}

double accuracy(const std::vector<int>& pred, const xt::xarray<int>& y) {
  std::size_t ok = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) ok += pred[i] == y(i);
  return static_cast<double>(ok) / static_cast<double>(pred.size());
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    auto f = examples::flags::parse(argc, argv);
    const std::size_t n_test = f.small ? 64 : 1000;
    model_owner owner;
    owner.train(make_blobs(3000, 1), 2);
    dataset test = make_blobs(n_test, 3);
    int rc = 0;
    examples::with_protocol(f.protocol, [&]<class P>() {
      tfe::statistics st;
      auto t0 = std::chrono::steady_clock::now();
      auto enc_here = predict<P>(f, owner, test.x, &st);
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (examples::done_elsewhere(f, "prediction-client")) return;
      const auto& enc = *enc_here;
      // the client compares with the plaintext reference, computed here on the same inputs
      auto ref = *predict<examples::reference_of<P>>(f.local(), owner, test.x, nullptr);
      auto pe = examples::argmax_rows(enc), pr = examples::argmax_rows(ref);
      std::size_t agree = 0;
      for (std::size_t i = 0; i < pe.size(); ++i) agree += pe[i] == pr[i];
      std::cout << "private prediction of " << n_test << " inputs with " << P::name() << " in " << secs << " s\n"
                << "  accuracy encrypted " << accuracy(pe, test.y) << ", plain " << accuracy(pr, test.y) << "; "
                << agree << "/" << n_test << " predictions agree\n";
      if (f.all_here())
        std::cout << "  server0 sent " << st.total.bytes_sent << " bytes in " << st.total.rounds << " rounds\n";
      // Three layers of fixed-point products with f = 16 fractional bits stay well inside 0.01.
      rc = examples::report(f, "logits", examples::max_abs_diff(enc, ref), 0.01);
    });
    return rc;
  });
}
