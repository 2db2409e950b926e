// Secure aggregation for federated learning (the seed's second program): in each iteration the data
// owners compute gradients in plaintext on their own data, give them as private inputs, the servers
// compute their mean add_n(grads) / n on shares, and only the model owner receives the mean, with
// which it updates the model. The model is a linear regression; its loss on the model owner's
// validation data goes down over the iterations.
// With --dp-epsilon E the servers clip every gradient coordinate to [−C, C] (--dp-clip C, public)
// and add discrete Laplace noise sampled inside the computation (tfe/stats/dp.hpp: no player knows
// it) before the model owner sees the mean: (E, δ)-DP for each data owner's gradients over the whole
// run, E split evenly over the iterations and the coordinates (basic composition).
//
//   build/examples/federated_learning [--protocol pond|pond128|plain|aby3|aby3_128] [--small] [--check]
//                                     [--dp-epsilon E] [--dp-clip C]
#include "common.hpp"

#include <tfe/stats/dp.hpp>

namespace {

constexpr std::size_t dim = 10;

struct data_owner {
  std::string player_name;
  xt::xarray<double> x, y;

  /// Mean-squared-error gradient of the current model on this owner's data (plaintext, local).
  xt::xarray<double> compute_gradient(const xt::xarray<double>& w) const {
    xt::xarray<double> pred = examples::dmatmul(x, xt::reshape_view(w, {dim, std::size_t(1)}));
    xt::xarray<double> err = xt::flatten(pred) - y;
    xt::xarray<double> g = examples::dmatmul(xt::reshape_view(err, {std::size_t(1), err.size()}), x);
    return xt::flatten(g) * (2.0 / static_cast<double>(y.size()));
  }
};

struct model_owner {
  std::string player_name = "model-owner";
  xt::xarray<double> w = xt::zeros<double>({dim});
  xt::xarray<double> x_val, y_val;
  double learning_rate = 0.1;
  std::vector<double> losses;

  xt::xarray<double> provide_weights() const { return w; }
  void update_model(const xt::xarray<double>& mean_grad) {
    w -= learning_rate * mean_grad;
    xt::xarray<double> err = xt::flatten(examples::dmatmul(x_val, xt::reshape_view(w, {dim, std::size_t(1)}))) - y_val;
    losses.push_back(xt::mean(err * err)());
  }
};

struct setup {
  std::vector<data_owner> owners;
  model_owner model;
};

setup make_setup(std::size_t n_owners, std::size_t per_owner) {
  examples::data_rng rng(11);
  xt::xarray<double> w_true = xt::zeros<double>({dim});
  for (auto& v : w_true) v = rng.normal();
  auto sample = [&](std::size_t n, xt::xarray<double>& x, xt::xarray<double>& y) {
    x = xt::zeros<double>({n, dim});
    y = xt::zeros<double>({n});
    for (std::size_t i = 0; i < n; ++i) {
      double t = 0;
      for (std::size_t j = 0; j < dim; ++j) {
        x(i, j) = rng.normal();
        t += x(i, j) * w_true(j);
      }
      y(i) = t + 0.1 * rng.normal();
    }
  };
  setup s;
  for (std::size_t k = 0; k < n_owners; ++k) {
    data_owner o{"data-owner-" + std::to_string(k), {}, {}};
    sample(per_owner, o.x, o.y);
    s.owners.push_back(std::move(o));
  }
  sample(200, s.model.x_val, s.model.y_val);
  return s;
}

/// Differential privacy of the aggregate (off when epsilon is 0).
struct dp_options {
  double epsilon = 0, clip = 4.0, delta = 1e-9;
};

/// The program every player runs.
template <class Session>
void federated_training(Session& s, std::vector<data_owner>& data_owners, model_owner& model, int iterations,
                        const dp_options& dp = {}) {
  for (int it = 0; it < iterations; ++it) {
    // the model owner publishes the current model to everybody (it is not secret in this setting)
    auto w = s.define_public_input(model.player_name, [&] { return model.provide_weights(); }).decode();

    // compute and collect all model gradients as private inputs
    std::vector<typename Session::private_type> model_grads;
    for (auto& owner : data_owners)
      model_grads.push_back(s.define_private_input(owner.player_name, [&] { return owner.compute_gradient(w); }));

    // compute the mean gradient securely
    const double m = static_cast<double>(model_grads.size());
    if (dp.epsilon > 0)
      for (auto& g : model_grads) g = tfe::clip(g, -dp.clip, dp.clip);
    auto aggregated = tfe::add_n(model_grads) / m;
    if (dp.epsilon > 0) {
      // Clipped inside the computation, so replacing one owner's gradient moves each coordinate of
      // the mean by at most 2C/m (+ the division's error, at most 4 ulps); noise per coordinate with
      // ε/(iterations·dim).
      const auto plan = tfe::stats::plan_discrete_laplace(
          dp.epsilon / (iterations * static_cast<double>(dim)), dp.delta / (iterations * static_cast<double>(dim)),
          2 * dp.clip / m + 4 * s.fixed_point().resolution(), s.fixed_point());
      aggregated = tfe::stats::add_discrete_laplace(aggregated, plan);
    }

    // reveal only the aggregated gradient to the model owner
    s.define_output(
        model.player_name, [&](const xt::xarray<double>& g) { model.update_model(g); }, aggregated);
  }
}

template <class P>
model_owner run(const examples::flags& f, const setup& base, int iterations, const dp_options& dp = {}) {
  setup st = base;
  std::vector<std::string> players = examples::players<P>({st.model.player_name});
  for (auto& o : st.owners) players.push_back(o.player_name);
  examples::run<P>(f, players, [&](auto& s) { federated_training(s, st.owners, st.model, iterations, dp); });
  return st.model;
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    dp_options dp;
    auto f = examples::flags::parse(argc, argv, [&](CLI::App& app) {
      app.add_option("--dp-epsilon", dp.epsilon, "differentially private aggregates (total epsilon; 0: off)");
      app.add_option("--dp-clip", dp.clip, "public clipping bound of every gradient coordinate (with --dp-epsilon)");
    });
    const int iterations = f.small ? 10 : 40;
    setup base = make_setup(f.small ? 3 : 5, f.small ? 50 : 500);
    int rc = 0;
    examples::with_protocol(f.protocol, [&]<class P>() {
      auto enc = run<P>(f, base, iterations, dp);
      if (examples::done_elsewhere(f, enc.player_name)) return;
      auto ref = run<examples::reference_of<P>>(f.local(), base, iterations);
      std::cout << "secure aggregation with " << P::name() << ", " << base.owners.size() << " data owners\n";
      for (std::size_t i = 0; i < enc.losses.size(); i += std::max<std::size_t>(1, enc.losses.size() / 8))
        std::cout << "  iteration " << i + 1 << ": validation loss " << enc.losses[i] << " (plain " << ref.losses[i]
                  << ")\n";
      std::cout << "  final loss " << enc.losses.back() << " (plain " << ref.losses.back() << ", first "
                << enc.losses.front() << ")\n";
      if (!(enc.losses.back() < 0.5 * enc.losses.front())) {
        std::cerr << "FAILED: the loss did not go down\n";
        rc = 1;
      }
      if (dp.epsilon > 0) {  // noisy by design: no comparison with plain's weights
        std::cout << "  with (" << dp.epsilon << ", " << dp.delta << ")-DP aggregates (clip " << dp.clip
                  << "): noise sampled inside the computation, known to no player\n";
        return;
      }
      // Each mean gradient differs from plain by at most one division's error (2^-16 relative to
      // the gradient size) per iteration; accumulated over the iterations the weights stay within 1e-3.
      rc |= examples::report(f, "model weights", examples::max_abs_diff(enc.w, ref.w), 1e-3);
    });
    return rc;
  });
}
