// tests/test_nn_io.cpp: .npy/.npz, weight and model files (round trips and every documented error),
// sharing a model from its owner, the player helpers, and the clear errors of the keras API.
#include "expect_error.hpp"
#include "nn_reference.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>

#include <unistd.h>

// The file's own names (a test bundle, tests/CMakeLists.txt, compiles several test files as one unit).
namespace test_nn_io {

namespace {

using namespace nn_test;
namespace fs = std::filesystem;
using pond64 = tfe::pond<tfe::ring64>;

using tfe_test::temp_dir;

using tfe_test::contains;
using tfe_test::error_of;

keras::architecture small_cnn() {
  return {{6, 6, 1},
          {keras::Conv2D{.filters = 2, .kernel_size = {3, 3}, .activation = "relu"}, keras::MaxPooling2D{},
           keras::BatchNormalization{}, keras::Flatten{}, keras::Dense{.units = 3}}};
}

std::vector<dvec> random_weights(const keras::architecture& arch, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<dvec> w;
  for (const auto& s : keras::weight_specs(keras::resolve_names(arch)))
    w.push_back(s.name.find("variance") != std::string::npos ? random_array(s.shape, rng, 0.5, 1.5)
                                                             : random_array(s.shape, rng));
  return w;
}

std::string slurp(const std::string& p) { return tfe::io::read_file_bytes(p); }

}  // namespace

TEST_CASE("npy: round trip through xtensor's writer, and numpy's other layouts") {
  temp_dir dir{"tfe_test_nn_io"};
  dvec a = {{1.5, -2.25, 3.0}, {0.0, 1e-3, -7.0}};
  tfe::io::save_npy(dir.file("a.npy"), a, tfe::io::npy_dtype::f8);
  CHECK(tfe::io::load_npy(dir.file("a.npy")) == a);
  tfe::io::save_npy(dir.file("b.npy"), a, tfe::io::npy_dtype::f4);
  CHECK(max_diff(tfe::io::load_npy(dir.file("b.npy")), a) < 1e-6);
  // Hand-written headers: big-endian int16, Fortran order, version 2.
  auto npy = [](unsigned major, const std::string& dict, const std::string& body) {
    std::string h = dict;
    const std::size_t pre = major == 1 ? 10 : 12;
    while ((pre + h.size() + 1) % 64) h += ' ';
    h += '\n';
    std::string out = "\x93NUMPY";
    out += char(major);
    out += char(0);
    out += char(h.size() & 0xFF);
    out += char(h.size() >> 8);
    if (major != 1) out += std::string(2, '\0');
    return out + h + body;
  };
  auto be =
      npy(1, "{'descr': '>i2', 'fortran_order': False, 'shape': (3,), }", std::string("\xFF\xFE\x01\x2C\x00\x05", 6));
  CHECK(tfe::io::from_npy(be, "be") == dvec{-2, 300, 5});
  // Fortran order (2, 3) of uint8: column-major bytes 1 4 2 5 3 6 -> [[1 2 3] [4 5 6]].
  auto fo = npy(2, "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", "\x01\x04\x02\x05\x03\x06");
  CHECK(tfe::io::from_npy(fo, "fo") == dvec{{1, 2, 3}, {4, 5, 6}});
  CHECK(contains(error_of<tfe::file_error>([&] { (void)tfe::io::from_npy("garbage!!!!!", "g.npy"); }),
                 "g.npy: not a .npy file"));
  auto cplx = npy(1, "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", std::string(16, '\0'));
  CHECK(
      contains(error_of<tfe::file_error>([&] { (void)tfe::io::from_npy(cplx, "c"); }), "unsupported npy dtype '<c16'"));
  auto cut = npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", std::string(16, '\0'));
  CHECK(contains(error_of<tfe::file_error>([&] { (void)tfe::io::from_npy(cut, "t"); }), "truncated .npy data"));
}

TEST_CASE("npz: stored and deflated archives, CRC and format errors") {
  temp_dir dir{"tfe_test_nn_io"};
  tfe::io::named_arrays arrays{{"x", dvec{1, 2, 3}}, {"layer/kernel", dvec{{0.5, 0.25}}}};
  for (bool compress : {true, false}) {
    tfe::io::save_npz(dir.file("a.npz"), arrays, tfe::io::npy_dtype::f8, compress);
    auto back = tfe::io::load_npz(dir.file("a.npz"));
    REQUIRE(back.size() == 2);
    CHECK(back[0].first == "x");
    CHECK(back[1].first == "layer/kernel");
    CHECK(back[0].second == arrays[0].second);
    CHECK(back[1].second == arrays[1].second);
  }
  // Same entries, same bytes (fixed timestamps).
  tfe::io::save_npz(dir.file("b.npz"), arrays, tfe::io::npy_dtype::f8, false);
  CHECK(slurp(dir.file("a.npz")) == slurp(dir.file("b.npz")));
  // Flip one byte of the stored data: CRC mismatch.
  std::string z = slurp(dir.file("b.npz"));
  z[30 + 5 + 80] ^= 0x55;  // inside x.npy's body
  tfe::io::write_file_bytes(dir.file("bad.npz"), z);
  CHECK(contains(error_of<tfe::file_error>([&] { (void)tfe::io::load_npz(dir.file("bad.npz")); }), "CRC-32 mismatch"));
  tfe::io::write_file_bytes(dir.file("junk.npz"), std::string(100, 'j'));
  CHECK(contains(error_of<tfe::file_error>([&] { (void)tfe::io::load_npz(dir.file("junk.npz")); }),
                 "not a zip/npz archive"));
  CHECK(contains(error_of<tfe::file_error>([&] { (void)tfe::io::load_npz(dir.file("none.npz")); }), "cannot open"));
}

TEST_CASE("architecture: names, shape inference, JSON round trip, errors naming the layer") {
  auto arch = keras::resolve_names(small_cnn());
  CHECK(keras::layer_name(arch.layers[0]) == "conv2d");
  CHECK(keras::layer_name(arch.layers[1]) == "max_pooling2d");
  CHECK(keras::layer_name(arch.layers[2]) == "batch_normalization");
  CHECK(keras::infer_shapes(arch).back() == shape_t{3});
  CHECK(keras::count_params(arch) == 2 * 9 + 2 + 4 * 2 + 8 * 3 + 3);
  auto two = keras::resolve_names({{4}, {keras::Dense{.units = 2}, keras::Dense{.units = 2}, keras::ReLU{}}});
  CHECK(keras::layer_name(two.layers[1]) == "dense_1");
  CHECK(keras::layer_name(two.layers[2]) == "re_lu");
  auto back = keras::architecture_from_json(keras::to_json(arch), "test");
  CHECK(keras::to_json(back) == keras::to_json(arch));

  auto m = error_of<tfe::shape_error>([] { (void)keras::infer_shapes({{6, 6, 1}, {keras::Dense{.units = 3}}}); });
  CHECK(contains(m, "layer 'dense' (Dense) needs a flat input"));
  CHECK(contains(m, "Flatten"));
  CHECK(contains(error_of<tfe::shape_error>([] {
                   (void)keras::infer_shapes(
                       keras::resolve_names({{4, 4, 1}, {keras::Conv2D{.filters = 1, .kernel_size = {5, 5}}}}));
                 }),
                 "layer 'conv2d' (Conv2D)"));
  CHECK(contains(
      error_of<tfe::config_error>([] {
        (void)keras::infer_shapes(keras::resolve_names({{4}, {keras::Dense{.units = 3, .activation = "tanh"}}}));
      }),
      "unknown activation 'tanh'"));
  CHECK(contains(error_of<tfe::config_error>([] {
                   (void)keras::architecture_from_json(
                       nlohmann::json::parse(R"({"format": "tfe.keras.Sequential", "version": 1,
                     "input_shape": [3], "layers": [{"class_name": "LSTM", "config": {}}]})"),
                       "f.json");
                 }),
                 "unknown layer class_name 'LSTM'"));
}

TEST_CASE("model files: save/load round trip and the weights-only file") {
  temp_dir dir{"tfe_test_nn_io"};
  const auto arch = small_cnn();
  const auto w = random_weights(arch, 1);
  keras::save_model_file(dir.file("m.npz"), arch, w, tfe::io::npy_dtype::f8);
  auto m = keras::load_model_file(dir.file("m.npz"));
  CHECK(keras::to_json(m.arch) == keras::to_json(keras::resolve_names(arch)));
  REQUIRE(m.weights.size() == w.size());
  for (std::size_t i = 0; i < w.size(); ++i) CHECK(m.weights[i] == w[i]);
  keras::save_weights_file(dir.file("w.npz"), arch, w);  // float32
  auto w2 = keras::load_weights_file(dir.file("w.npz"), arch);
  for (std::size_t i = 0; i < w.size(); ++i) CHECK(max_diff(w2[i], w[i]) < 1e-6);
  // The weights of a model file can be read as a weight file too.
  CHECK(keras::load_weights_file(dir.file("m.npz"), arch).size() == w.size());
}

TEST_CASE("model files: bad files give clear errors naming the file and the problem") {
  temp_dir dir{"tfe_test_nn_io"};
  const auto arch = keras::resolve_names(small_cnn());
  const auto w = random_weights(arch, 2);
  keras::save_weights_file(dir.file("weights.npz"), arch, w);
  auto m = error_of<tfe::file_error>([&] { (void)keras::load_model_file(dir.file("weights.npz")); });
  CHECK(contains(m, dir.file("weights.npz")));
  CHECK(contains(m, "no architecture.json"));

  auto entries = [&](std::function<void(std::vector<tfe::io::zip_entry>&)> edit) {
    keras::save_model_file(dir.file("good.npz"), arch, w);
    auto e = tfe::io::read_zip(dir.file("good.npz"));
    edit(e);
    tfe::io::write_zip(dir.file("edited.npz"), e);
    return dir.file("edited.npz");
  };
  auto bad_json = entries([](auto& e) { e[0].data = "{not json"; });
  CHECK(contains(error_of<tfe::file_error>([&] { (void)keras::load_model_file(bad_json); }),
                 "architecture.json is not valid JSON"));

  auto missing = entries([](auto& e) { e.erase(e.begin() + 1); });  // architecture stays, conv2d/kernel goes
  auto mm = error_of<tfe::file_error>([&] { (void)keras::load_model_file(missing); });
  CHECK(contains(mm, "missing weight 'conv2d/kernel'"));
  CHECK(contains(mm, "(3, 3, 1, 2)"));

  auto extra = entries([](auto& e) { e.push_back({"notes.txt", "hello"}); });
  CHECK(contains(error_of<tfe::file_error>([&] { (void)keras::load_model_file(extra); }),
                 "unexpected entry 'notes.txt'"));

  auto reshaped = entries([&](auto& e) { e[1].data = tfe::io::to_npy(xt::zeros<double>({3, 3, 1, 4})); });
  auto sm = error_of<tfe::shape_error>([&] { (void)keras::load_model_file(reshaped); });
  CHECK(contains(sm, reshaped));
  CHECK(contains(sm, "weight 'conv2d/kernel' has shape (3, 3, 1, 4) but the architecture needs (3, 3, 1, 2)"));

  auto wrong_arch = entries([](auto& e) {
    auto j = nlohmann::json::parse(e[0].data);
    j["input_shape"] = {36};
    e[0].data = j.dump();
  });
  auto am = error_of<tfe::shape_error>([&] { (void)keras::load_model_file(wrong_arch); });
  CHECK(contains(am, wrong_arch));
  CHECK(contains(am, "layer 'conv2d' (Conv2D) needs an image input"));

  auto other = dir.file("other.npz");
  keras::save_weights_file(other, {{4}, {keras::Dense{.units = 3}}},
                           {xt::zeros<double>({4, 3}), xt::zeros<double>({3})});
  auto om = error_of<tfe::file_error>([&] { (void)keras::load_weights_file(other, arch); });
  CAPTURE(om);
  CHECK(contains(om, "missing weight 'conv2d/kernel'"));
  CHECK(contains(
      error_of<tfe::shape_error>([&] { keras::save_weights_file(dir.file("x.npz"), arch, {xt::zeros<double>({1})}); }),
      "1 weight tensors for a model with 8"));
}

TEST_CASE("share_model: the owner's file, shared under pond, predicts like the plaintext reference") {
  temp_dir dir{"tfe_test_nn_io"};
  const auto arch = small_cnn();
  const auto w = random_weights(arch, 3);
  keras::save_model_file(dir.file("m.npz"), arch, w, tfe::io::npy_dtype::f8);
  std::mt19937_64 rng(4);
  dvec x = random_array({5, 6, 6, 1}, rng);

  struct client : keras::player<client> {
    client() : player("client") {}
    dvec images, logits;
    dvec provide_input() const { return images; }
    void receive_output(const dvec& l) { logits = l; }
  } c;
  c.images = x;
  auto players = pond64::default_players();
  players.push_back("model-owner");
  players.push_back("client");
  dvec logits_saved;
  std::string weights_path = dir.file("saved.npz");
  tfe::run_local<pond64>(
      players,
      [&](auto& s) {
        auto model = keras::load_model(s, "model-owner", dir.file("m.npz"));  // read at the owner only
        CHECK(model.count_params() == keras::count_params(arch));
        auto px = c.private_input(s, &client::provide_input);
        c.private_output(s, &client::receive_output, model.predict(px, 2));
        keras::save_model(model, "model-owner", weights_path);  // revealed to the owner, who writes it
      },
      deterministic());
  // The plaintext reference: every layer in doubles, each with its own weights.
  const auto a = keras::resolve_names(arch);
  dvec cur = x;
  shape_t in = a.input_shape;
  std::size_t offset = 0;
  for (const auto& l : a.layers) {
    const std::size_t k = keras::weight_specs(l, in).size();
    cur = ref_layer(l, cur, std::vector<dvec>(w.begin() + offset, w.begin() + offset + k));
    offset += k;
    in = keras::output_shape(l, in);
  }
  CHECK(max_diff(c.logits, cur) < 2e-3);
  // The saved model has the same function (BatchNormalization comes back folded).
  auto saved = keras::load_model_file(weights_path);
  CHECK(max_diff(saved.weights[0], w[0]) < 1e-4);
}

TEST_CASE("keras errors: shapes, owners, compile and protocol checks") {
  auto players = pond64::default_players();
  players.push_back("alice");
  const keras::architecture arch{{4}, {keras::Dense{.units = 2}}};
  // A wrong weight shape at the owner: the run fails with the owner's shape_error.
  try {
    tfe::run_local<pond64>(players, [&](auto& s) {
      keras::Sequential<pond64> m(s, arch);
      m.set_weights("alice", [] { return std::vector<dvec>{xt::zeros<double>({3, 2}), xt::zeros<double>({2})}; });
    });
    FAIL("no exception");
  } catch (const tfe::player_error& e) {
    CHECK(e.player() == "alice");
    CHECK(contains(e.what(), "weight 'dense/kernel' has shape (3, 2) but the model needs (4, 2)"));
    CHECK_THROWS_AS(e.rethrow_original(), tfe::shape_error);
  }
  // A wrong input shape, a missing compile, a loss that does not fit the model.
  tfe::run_local<tfe::plain<tfe::ring64>>({"alice"}, [&](auto& s) {
    keras::Sequential<tfe::plain<tfe::ring64>> m(s, arch);
    auto x = s.define_private_input("alice", [] { return dvec(xt::zeros<double>({2, 5})); });
    CHECK(contains(error_of<tfe::protocol_error>([&] { (void)m.predict(x); }), "no weights yet"));
    m.initialize("alice", 1);
    CHECK(contains(error_of<tfe::shape_error>([&] { (void)m.predict(x); }),
                   "expects inputs of shape (batch, 4) but got (2, 5)"));
    CHECK(contains(error_of<tfe::config_error>([&] { (void)m.fit(x, x, {}); }), "call compile() first"));
    CHECK(contains(error_of<tfe::config_error>([&] { m.compile(keras::CategoricalCrossentropy{}, keras::SGD{}); }),
                   "needs a model that ends with a softmax"));
    CHECK(contains(
        error_of<tfe::config_error>([&] { m.compile(keras::MeanSquaredError{}, keras::SGD{.learning_rate = -1}); }),
        "learning rate must be positive"));
    CHECK(contains(error_of<tfe::protocol_error>([&] { (void)m.layers()[0]->backward(x, true); }),
                   "backward without a forward pass"));
  });
  static_assert(keras::runs_on<pond64, keras::MaxPooling2D>);
  static_assert(keras::has_sign_bit<tfe::plain<tfe::ring64>>);
}

}  // namespace test_nn_io
