// Trains the pre-trained Fashion-MNIST models in models/ with tfe's own training code (keras::Sequential
// fit) on the plain protocol, and writes them as model files (architecture + weights, .npz).
//
//   build/examples/train_models [--model mlp|cnn|all] [--epochs N] [--seed S] [--out DIR]
//                               [--train N] [--test N] [--batch B] [--lr LR] [--decay D]
//
// scripts/train_models.sh runs it with the settings models/README.md records. Deterministic: the
// initial weights and the order of the examples come from --seed, and the plain protocol computes in
// fixed point with exact truncation, so the same command gives the same files.
#include "common.hpp"
#include "fashion_mnist_common.hpp"

#include <tfe/nn/nn.hpp>

#include <chrono>
#include <filesystem>

namespace {

namespace keras = tfe::keras;
using plain64 = tfe::plain<tfe::ring64>;

keras::architecture cnn() {
  return {{28, 28, 1},
          {keras::Conv2D{.filters = 8, .kernel_size = {5, 5}, .activation = "relu"}, keras::MaxPooling2D{},
           keras::Conv2D{.filters = 16, .kernel_size = {5, 5}, .activation = "relu"}, keras::MaxPooling2D{},
           keras::Flatten{}, keras::Dense{.units = 64, .activation = "relu"}, keras::Dense{.units = 10}}};
}

struct settings {
  std::string model = "all", out = "models";
  std::size_t epochs = 0, train = 0, test = 0, batch = 0;
  double lr = 0, decay = -1;
  std::uint64_t seed = 1;
};

double train_one(const std::string& name, const keras::architecture& arch, const settings& st,
                 const tfe::io::image_dataset& train, const tfe::io::image_dataset& test, std::size_t epochs,
                 std::size_t bs, double lr) {
  const std::string path = st.out + "/fashion_mnist_" + name + ".npz";
  const double decay = st.decay >= 0 ? st.decay : 5e-4;
  std::cout << "training " << name << ": " << epochs << " epochs, batch " << bs << ", SGD lr " << lr
            << " momentum 0.9 decay " << decay << ", seed " << st.seed << ", " << train.labels.size() << " examples\n";
  examples::shuffled_batches rows(train, st.seed);  // the trainer's rows, in a fresh order every epoch
  double accuracy = 0;
  const auto t0 = std::chrono::steady_clock::now();
  tfe::run_local<plain64>({"model-owner"}, [&](auto& s) {
    keras::Sequential<plain64> model(s, arch);
    if (name == "mlp" || name == "cnn") std::cout << model.summary();
    model.initialize("model-owner", st.seed);
    model.compile(keras::CategoricalCrossentropy{.from_logits = true},
                  keras::SGD{.learning_rate = lr, .momentum = 0.9, .decay = decay});
    const std::size_t batches = rows.count(bs);
    keras::fit_options opt;
    opt.epochs = epochs;
    opt.report_to = "model-owner";
    opt.metrics_every = 100;
    opt.verbose = false;
    opt.on_batch = [&](const keras::batch_log& l) {
      if (l.loss)
        std::cout << "  epoch " << l.epoch << "/" << l.epochs << " batch " << l.batch << "/" << l.batches << "  loss "
                  << *l.loss << "  accuracy " << *l.accuracy << "  ("
                  << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s)\n"
                  << std::flush;
    };
    model.fit(
        batches,
        [&](std::size_t e, std::size_t b) {
          return s.define_private_input("model-owner", [&] { return rows.batch(e, b, bs); });
        },
        opt);
    auto x = s.define_private_input("model-owner", [&] { return test.images; });
    auto y = s.define_private_input("model-owner", [&] { return tfe::io::one_hot(test.labels, 10); });
    auto ev = model.evaluate(x, y, "model-owner", 500);
    accuracy = ev.accuracy.value_or(0);
    std::cout << "  test loss " << ev.loss.value_or(0) << "  test accuracy " << accuracy << "\n";
    keras::save_model(model, "model-owner", path);
  });
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "wrote " << path << " (" << std::filesystem::file_size(path) << " bytes): plaintext test accuracy "
            << accuracy << " on " << test.labels.size() << " images, trained in " << secs << " s\n";
  return accuracy;
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    settings st;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument("missing value after " + a);
        return argv[++i];
      };
      if (a == "--model")
        st.model = next();
      else if (a == "--epochs")
        st.epochs = std::stoul(next());
      else if (a == "--seed")
        st.seed = std::stoull(next());
      else if (a == "--out")
        st.out = next();
      else if (a == "--train")
        st.train = std::stoul(next());
      else if (a == "--test")
        st.test = std::stoul(next());
      else if (a == "--batch")
        st.batch = std::stoul(next());
      else if (a == "--lr")
        st.lr = std::stod(next());
      else if (a == "--decay")
        st.decay = std::stod(next());
      else if (a == "--help" || a == "-h") {
        std::cout << "usage: train_models [--model mlp|cnn|all] [--epochs N] [--seed S] [--out DIR] [--train N] "
                     "[--test N] [--batch B] [--lr LR] [--decay D]\n";
        return 0;
      } else {
        throw std::invalid_argument("unknown argument '" + a + "' (try --help)");
      }
    }
    if (st.model != "mlp" && st.model != "cnn" && st.model != "all") throw std::invalid_argument("--model mlp|cnn|all");
    std::filesystem::create_directories(st.out);
    auto train = tfe::io::load_fashion_mnist("train", st.train);
    auto test = tfe::io::load_fashion_mnist("test", st.test);
    if (st.model != "cnn")
      train_one("mlp", examples::fashion_mnist_mlp(), st, train, test, st.epochs ? st.epochs : 10,
                st.batch ? st.batch : 64, st.lr ? st.lr : 0.05);
    if (st.model != "mlp")
      train_one("cnn", cnn(), st, train, test, st.epochs ? st.epochs : 5, st.batch ? st.batch : 64,
                st.lr ? st.lr : 0.05);
    return 0;
  });
}
