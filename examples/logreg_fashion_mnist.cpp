// Logistic regression on two owners' private data: two data owners each hold half of the Fashion-MNIST
// training images of two classes (sneaker against ankle boot); every batch joins 64 private rows of
// each owner (concat on shares), and the servers train keras::Sequential{Flatten, Dense(1, sigmoid)}
// with binary cross-entropy and SGD. Only the model owner learns the loss, the accuracy and the
// trained weights; the same run on the plain protocol gives the reference.
//
//   build/examples/logreg_fashion_mnist [--protocol aby3|pond|securenn|...] [--epochs E] [--batches N]
//                                       [--lr LR] [--check]
//
// --check exits with status 1 when the weights differ from the plain run's by more than 0.02 or the
// test accuracies by more than 2 points.
#include "common.hpp"

#include <tfe/nn/nn.hpp>

#include <iomanip>

namespace {

namespace keras = tfe::keras;

constexpr const char* default_protocol = "aby3";
constexpr std::uint8_t class_a = 7, class_b = 9;  // sneaker (label 0) against ankle boot (label 1)
constexpr std::size_t half_batch = 64;

struct binary_set {
  xt::xarray<double> x, y;  // (n, 28, 28, 1), (n, 1)
};

binary_set select(const tfe::io::image_dataset& d, std::size_t from, std::size_t step) {
  std::vector<std::size_t> rows;
  std::size_t k = 0;
  for (std::size_t i = 0; i < d.labels.size(); ++i)
    if (d.labels(i) == class_a || d.labels(i) == class_b)
      if (k++ % step == from) rows.push_back(i);
  binary_set b{xt::zeros<double>({rows.size(), std::size_t(28), std::size_t(28), std::size_t(1)}),
               xt::zeros<double>({rows.size(), std::size_t(1)})};
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::copy_n(d.images.data() + rows[r] * 784, 784, b.x.data() + r * 784);
    b.y(r, 0) = d.labels(rows[r]) == class_b ? 1.0 : 0.0;
  }
  return b;
}

/// A data owner: provides batch b of its rows (private).
struct data_owner : keras::player<data_owner> {
  data_owner(std::string name, binary_set d) : player(std::move(name)), data(std::move(d)) {}
  std::pair<xt::xarray<double>, xt::xarray<double>> provide_batch(std::size_t b) const {
    const std::size_t lo = b * half_batch, hi = lo + half_batch;
    return {xt::view(data.x, xt::range(lo, hi)), xt::view(data.y, xt::range(lo, hi))};
  }
  std::size_t batches() const { return data.y.shape()[0] / half_batch; }
  binary_set data;
};

struct model_owner : keras::player<model_owner> {
  model_owner() : player("model-owner") {}
  void receive_weights(const std::vector<xt::xarray<double>>& w) { weights = w; }
  std::vector<xt::xarray<double>> weights;
  double accuracy(const binary_set& test) const {
    std::size_t ok = 0;
    for (std::size_t i = 0; i < test.y.shape()[0]; ++i) {
      double z = weights[1](0);
      for (std::size_t j = 0; j < 784; ++j) z += test.x.data()[i * 784 + j] * weights[0](j, 0);
      ok += (z >= 0) == (test.y(i, 0) > 0.5);
    }
    return static_cast<double>(ok) / static_cast<double>(test.y.shape()[0]);
  }
};

struct settings {
  examples::flags f;
  std::size_t epochs = 1, batches = 0;
  double lr = 0.1;
};

/// The program every player runs.
template <class P>
void train(tfe::session<P>& s, const data_owner& a, const data_owner& b, model_owner& owner, const settings& st,
           bool verbose) {
  keras::Sequential<P> model(s, {28, 28, 1}, {keras::Flatten{}, keras::Dense{.units = 1, .activation = "sigmoid"}});
  model.set_weights(owner.player_name(), [] {
    return std::vector<xt::xarray<double>>{xt::zeros<double>({784, 1}), xt::zeros<double>({1})};
  });
  model.compile(keras::BinaryCrossentropy{}, keras::SGD{.learning_rate = st.lr});
  keras::fit_options opt;
  opt.epochs = st.epochs;
  opt.max_batches = st.batches;
  opt.report_to = owner.player_name();
  opt.verbose = verbose;
  model.fit(
      std::min(a.batches(), b.batches()),
      [&](std::size_t, std::size_t k) {
        auto [xa, ya] = s.define_private_input(a.player_name(), [&] { return a.provide_batch(k); });
        auto [xb, yb] = s.define_private_input(b.player_name(), [&] { return b.provide_batch(k); });
        return std::pair{tfe::concat({xa, xb}, 0), tfe::concat({ya, yb}, 0)};  // the joint batch, on shares
      },
      opt);
  model.get_weights(owner.player_name(), [&](const std::vector<xt::xarray<double>>& w) { owner.receive_weights(w); });
}

template <class P>
model_owner run(const examples::flags& f, const data_owner& a, const data_owner& b, const settings& st, bool verbose) {
  model_owner owner;
  examples::run<P>(f, examples::players<P>({a.player_name(), b.player_name(), owner.player_name()}),
                   [&](auto& s) { train(s, a, b, owner, st, verbose); });
  return owner;
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    settings st;
    st.f = examples::flags::parse(
        argc, argv,
        [&](CLI::App& app) {
          app.add_option("--epochs", st.epochs, "epochs (default 1)");
          app.add_option("--batches", st.batches, "stop each epoch after N batches (default: all)");
          app.add_option("--lr", st.lr, "learning rate (default 0.1)");
        },
        default_protocol);
    auto train_set = tfe::io::load_fashion_mnist("train");
    auto test_set = tfe::io::load_fashion_mnist("test");
    const data_owner a("data-owner-0", select(train_set, 0, 2)), b("data-owner-1", select(train_set, 1, 2));
    const binary_set test = select(test_set, 0, 1);
    int rc = 0;
    examples::with_protocol(st.f.protocol, [&]<class P>() {
      if (!st.f.launch.list_players)
        std::cout << "Logistic regression, " << tfe::io::fashion_mnist_classes[class_a] << " against "
                  << tfe::io::fashion_mnist_classes[class_b] << ": " << a.player_name() << " holds "
                  << a.data.y.shape()[0] << " images, " << b.player_name() << " " << b.data.y.shape()[0]
                  << "; joint batches of " << 2 * half_batch << " under " << P::name() << "\n";
      auto enc = run<P>(st.f, a, b, st, true);
      if (examples::done_elsewhere(st.f, enc.player_name())) return;
      auto ref = run<examples::reference_of<P>>(st.f.local(), a, b, st, false);
      const double diff = examples::max_abs_diff(enc.weights, ref.weights);
      const double acc_enc = enc.accuracy(test), acc_ref = ref.accuracy(test);
      std::cout << std::fixed << std::setprecision(4) << "test accuracy (" << test.y.shape()[0]
                << " images): encrypted " << acc_enc << ", plain " << acc_ref << "; largest weight difference " << diff
                << "\n";
      rc = examples::check_training(st.f, diff, 0.02, acc_enc, acc_ref);
    });
    return rc;
  });
}
