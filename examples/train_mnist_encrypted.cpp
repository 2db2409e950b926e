// Encrypted training: the Fashion-MNIST MLP (784-128-128-10, ReLU) trained from random weights on
// secret-shared data, with a progress line per batch, then compared with the same training on the
// plain protocol (same seed, same batches).
//
//   build/examples/train_mnist_encrypted [--protocol aby3|pond|securenn|...] [--epochs E]
//                                        [--batches N] [--batch B] [--lr LR] [--seed S] [--check]
//
// Players: the protocol's servers, a data owner (provides every batch as a private input: images and
// one-hot labels, in an order it shuffles itself) and a model owner (draws the initial weights from
// the seed and shares them; the only player that learns the training loss and accuracy and, at the
// end, the trained weights). --batches N stops every epoch after N batches and reads only the N·B
// training images they use (for tests). Both trained models are then evaluated on the 10000 test
// images in plaintext by the model owner.
// --check exits with status 1 when the trained weights differ from the plain run's by more than 0.05
// or the test accuracies by more than 2 points; it is meant for short runs (--batches 3 in ctest):
// over a whole epoch the two runs drift apart by ulps that SGD amplifies, as two seeds would (one
// epoch on aby3<ring64>: test accuracy 0.808 encrypted, 0.822 plain; plain with seeds 2 and 3: 0.848,
// 0.837).
#include "common.hpp"
#include "fashion_mnist_common.hpp"

#include <tfe/nn/nn.hpp>

#include <chrono>
#include <iomanip>

namespace {

namespace keras = tfe::keras;

constexpr const char* default_protocol = "aby3";

/// The data owner: its training set, a batch at a time, in its own shuffled order per epoch.
struct data_owner : keras::player<data_owner> {
  data_owner(const tfe::io::image_dataset& d, std::size_t batch, std::uint64_t seed)
      : player("data-owner"), rows(d, seed), batch_size(batch) {}

  std::pair<xt::xarray<double>, xt::xarray<double>> provide_batch(std::size_t epoch, std::size_t b) {
    return rows.batch(epoch, b, batch_size);
  }
  std::size_t batches() const { return rows.count(batch_size); }

  examples::shuffled_batches rows;
  std::size_t batch_size;
};

/// The model owner: the seed of the initial weights; receives the trained weights.
struct model_owner : keras::player<model_owner> {
  model_owner() : player("model-owner") {}
  void receive_weights(const std::vector<xt::xarray<double>>& w) { weights = w; }
  std::vector<xt::xarray<double>> weights;
};

struct settings {
  examples::flags f;
  std::size_t epochs = 1, batches = 0, batch = 128;
  double lr = 0.05;
  std::uint64_t seed = 1;
};

/// The program every player runs.
template <class P>
void train(tfe::session<P>& s, data_owner& data, model_owner& owner, const settings& st, bool verbose) {
  keras::Sequential<P> model(s, examples::fashion_mnist_mlp());
  model.initialize(owner.player_name(), st.seed);
  model.compile(keras::CategoricalCrossentropy{.from_logits = true},
                keras::SGD{.learning_rate = st.lr, .momentum = 0.9});
  keras::fit_options opt;
  opt.epochs = st.epochs;
  opt.max_batches = st.batches;
  opt.report_to = owner.player_name();
  opt.verbose = verbose;
  model.fit(
      data.batches(),
      [&](std::size_t e, std::size_t b) { return data.private_input(s, &data_owner::provide_batch, e, b); }, opt);
  model.get_weights(owner.player_name(), [&](const std::vector<xt::xarray<double>>& w) { owner.receive_weights(w); });
}

template <class P>
std::pair<model_owner, double> run(const examples::flags& f, const tfe::io::image_dataset& train_set,
                                   const settings& st, bool verbose) {
  data_owner data(train_set, st.batch, st.seed);
  model_owner owner;
  const auto t0 = std::chrono::steady_clock::now();
  examples::run<P>(f, examples::players<P>({data.player_name(), owner.player_name()}),
                   [&](auto& s) { train(s, data, owner, st, verbose); });
  return {std::move(owner), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
}

/// The model owner's own evaluation of trained weights on the test set (plain protocol, one player).
double test_accuracy(const std::vector<xt::xarray<double>>& weights, const tfe::io::image_dataset& test) {
  using plain64 = tfe::plain<tfe::ring64>;
  double acc = 0;
  tfe::run_local<plain64>({"model-owner"}, [&](auto& s) {
    keras::Sequential<plain64> model(s, examples::fashion_mnist_mlp());
    model.set_weights("model-owner", [&] { return weights; });
    model.compile(keras::CategoricalCrossentropy{.from_logits = true}, keras::SGD{});
    auto x = s.define_private_input("model-owner", [&] { return test.images; });
    auto y = s.define_private_input("model-owner", [&] { return tfe::io::one_hot(test.labels, 10); });
    acc = model.evaluate(x, y, "model-owner", 1000).accuracy.value_or(0);
  });
  return acc;
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
          app.add_option("--batch", st.batch, "batch size")->check(CLI::PositiveNumber);
          app.add_option("--lr", st.lr, "learning rate");
          app.add_option("--seed", st.seed,
                         "seed of the initial weights and the batch order (data, not protocol randomness)");
        },
        default_protocol);
    const std::size_t needed = st.batches ? st.batches * st.batch : 0;  // read only what the run uses
    auto train_set = tfe::io::load_fashion_mnist("train", needed);
    auto test = tfe::io::load_fashion_mnist("test");
    int rc = 0;
    examples::with_protocol(st.f.protocol, [&]<class P>() {
      if (!st.f.launch.list_players)
        std::cout << "Encrypted training of the Fashion-MNIST MLP (784-128-128-10) under " << P::name() << ": "
                  << st.epochs << " epoch(s) of "
                  << (st.batches ? std::min(st.batches, (train_set.labels.size() + st.batch - 1) / st.batch)
                                 : (train_set.labels.size() + st.batch - 1) / st.batch)
                  << " batches of " << st.batch << ", SGD lr " << st.lr << " momentum 0.9, seed " << st.seed << "\n";
      auto [enc, enc_s] = run<P>(st.f, train_set, st, true);
      if (examples::done_elsewhere(st.f, enc.player_name())) return;
      std::cout << "the same training on " << examples::reference_of<P>::name() << " (the plaintext reference)...\n";
      auto [ref, ref_s] = run<examples::reference_of<P>>(st.f.local(), train_set, st, false);
      const double diff = examples::max_abs_diff(enc.weights, ref.weights);
      const double acc_enc = test_accuracy(enc.weights, test), acc_ref = test_accuracy(ref.weights, test);
      std::cout << std::fixed << std::setprecision(4) << "test accuracy (10000 images): encrypted training " << acc_enc
                << ", plain training " << acc_ref << "\nlargest weight difference from the plain run: " << diff
                << std::setprecision(1) << "\ntime: " << enc_s << " s encrypted, " << ref_s << " s plain\n";
      rc = examples::check_training(st.f, diff, 0.05, acc_enc, acc_ref);
    });
    return rc;
  });
}
