// test_plan: the cost planner (programs/plan.hpp, tfe_plan) predicts every player's bytes, messages
// and rounds of a private prediction exactly: the planned statistics of each model of models/onnx
// (PyTorch exports, the model zoo's ONNX files) equal a real run's under every protocol and ring,
// with one batch and with several; bad requests fail with the planner's or tfe_predict's error.
#include "expect_error.hpp"
#include "graph_runner.hpp"
#include "plan.hpp"

#include "tfe/crypto/prg.hpp"
#include "tfe/graph/model.hpp"
#include "tfe/io/idx.hpp"
#include "tfe/onnx/reader.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

namespace {

const std::string root = std::string(TFE_SOURCE_DIR) + "/models/";

/// Random inputs (normal, negatives included) shaped as the graph's, `examples` on axis 0.
std::vector<xt::xarray<double>> random_inputs(const tfe::graph::graph& g, std::size_t examples, tfe::prg& rng) {
  std::vector<xt::xarray<double>> out;
  for (const auto& in : g.inputs) {
    tfe::shape_t shape;
    for (auto d : in.dims) shape.push_back(d >= 0 ? static_cast<std::size_t>(d) : examples);
    xt::xarray<double> x = xt::zeros<double>(shape);
    if (!in.integer)
      for (auto& v : x)
        v = static_cast<double>(static_cast<std::int64_t>(rng.next<std::uint64_t>() % 2001) - 1000) / 1000.0;
    out.push_back(std::move(x));
  }
  return out;
}

void check_exact(const std::string& file, const std::vector<std::string>& protocols, std::size_t examples,
                 std::size_t batch, std::optional<tfe::truncation_mode> truncation = std::nullopt) {
  const auto model = tfe::onnx::read_model(file);
  tfe::prg rng;
  tfe::programs::plan_request pr;
  pr.truncation = truncation;
  pr.load_model = [&] { return model; };
  pr.protocols = protocols;
  pr.examples = examples;
  pr.batch = batch;
  pr.time_products = false;
  pr.networks.clear();  // no estimate: no calibration
  const auto plans = tfe::programs::plan_graph(pr);
  REQUIRE(plans.size() == protocols.size());
  for (std::size_t k = 0; k < protocols.size(); ++k) {
    CAPTURE(file);
    CAPTURE(protocols[k]);
    CAPTURE(examples);
    CAPTURE(batch);
    tfe::programs::graph_request rq;
    rq.protocol = protocols[k];
    rq.batch = batch;
    rq.load_model = [&] { return model; };
    rq.session.truncation = truncation;
    const auto inputs = random_inputs(model.g, examples, rng);
    rq.load_inputs = [&] { return inputs; };
    const auto real = tfe::programs::run_graph(rq);
    REQUIRE(real.players.size() == plans[k].players.size());
    CHECK(real.players == plans[k].players);  // the protocol's own names, then model-owner and client
    double worst = 0;                         // the largest relative miss of a peak memory
    for (std::size_t p = 0; p < real.players.size(); ++p) {
      CAPTURE(real.players[p]);
      REQUIRE(real.stats[p].has_value());
      const auto& want = real.stats[p]->total;
      const auto& got = plans[k].per_player[p];
      CHECK(got.bytes_sent == want.bytes_sent);
      CHECK(got.bytes_received == want.bytes_received);
      CHECK(got.messages_sent == want.messages_sent);
      CHECK(got.messages_received == want.messages_received);
      CHECK(got.rounds == want.rounds);
      // Peak memory (docs/planner.md): a model, not a formula, so within 25% (or 16 KiB) of the
      // player's memory meter in the real run; the input and output players' exactly.
      REQUIRE(real.peak_bytes[p].has_value());
      const auto measured = static_cast<double>(*real.peak_bytes[p]);
      const auto predicted = static_cast<double>(plans[k].peak_bytes.at(p));
      CAPTURE(measured);
      CAPTURE(predicted);
      CAPTURE(plans[k].peak_where.at(p));
      CHECK(measured > 0);
      CHECK(std::abs(predicted - measured) <= 0.25 * measured + 16384);
      worst = std::max(worst, std::abs(predicted - measured) / measured);
      if (p >= real.players.size() - 2) CHECK(predicted == measured);
    }
    CHECK(plans[k].max_bytes_sent() > 0);
    MESSAGE(file.substr(root.size()), " ", protocols[k], " examples ", examples, ": peak memory within ", 100 * worst,
            "%");
  }
}

}  // namespace

TEST_CASE("planned bytes, messages and rounds equal a real run's, player by player") {
  const std::vector<std::string> ring64{"aby3", "pond", "securenn"};
  SUBCASE("the Fashion-MNIST MLP and CNN, one batch and batches of 2") {
    for (const char* m : {"onnx/fashion_mnist_mlp.onnx", "onnx/fashion_mnist_cnn.onnx"}) {
      check_exact(root + m, ring64, 3, 0);
      check_exact(root + m, ring64, 5, 2);
    }
  }
  SUBCASE("PyTorch exports: transposed convolution, residual, depthwise, attention") {
    for (const char* m : {"onnx/conv_transpose.onnx", "onnx/residual_cnn.onnx", "onnx/depthwise_mlp_mix.onnx",
                          "onnx/attention_opset14.onnx", "onnx/attention_opset17.onnx"})
      check_exact(root + m, ring64, 2, 0);
  }
  SUBCASE("the zoo's residual network and vision transformer") {
    check_exact(root + "fashion_mnist_resnet.onnx", ring64, 1, 0);
    check_exact(root + "fashion_mnist_vit.onnx", ring64, 1, 0);
  }
  SUBCASE("the exact truncation (truncation_mode::exact): one more round per truncation") {
    for (const char* m : {"onnx/fashion_mnist_mlp.onnx", "onnx/fashion_mnist_cnn.onnx", "onnx/attention_opset17.onnx"})
      check_exact(root + m, ring64, 2, 0, tfe::truncation_mode::exact);
    check_exact(root + "onnx/fashion_mnist_cnn.onnx", {"aby3_128", "pond128"}, 1, 0, tfe::truncation_mode::exact);
  }
  SUBCASE("ring128") {
    check_exact(root + "onnx/fashion_mnist_cnn.onnx", {"aby3_128", "pond128", "securenn128"}, 2, 0);
    check_exact(root + "onnx/attention_opset17.onnx", {"aby3_128", "pond128", "securenn128"}, 1, 0);
  }
}

TEST_CASE("the planner's estimate and op shares") {
  const auto model = tfe::onnx::read_model(root + "onnx/fashion_mnist_cnn.onnx");
  tfe::programs::plan_request pr;
  pr.load_model = [&] { return model; };
  pr.protocols = {"aby3", "pond"};
  pr.examples = 4;
  const auto plans = tfe::programs::plan_graph(pr);
  REQUIRE(plans.size() == 2);
  for (const auto& p : plans) {
    CAPTURE(p.protocol);
    REQUIRE(p.seconds.size() == 2);
    CHECK(p.seconds[1] > p.seconds[0]);  // the WAN's latency and bandwidth cost more than the LAN's
    CHECK(p.product_seconds > 0);        // the products were timed
    REQUIRE(!p.ops.empty());
    for (std::size_t i = 1; i < p.ops.size(); ++i) CHECK(p.ops[i - 1].bytes_sent >= p.ops[i].bytes_sent);
    // The op shares add up to the graph's share of the traffic (the inputs and outputs are not ops).
    std::uint64_t ops = 0, all = 0;
    for (const auto& o : p.ops) ops += o.bytes_sent;
    for (const auto& s : p.per_player) all += s.bytes_sent;
    CHECK(ops <= all);
    CHECK(ops > all / 2);
  }
}

TEST_CASE("--threads: the plan's costs do not depend on the threads per player, its timing runs with them") {
  const auto model = tfe::onnx::read_model(root + "onnx/fashion_mnist_cnn.onnx");
  tfe::programs::plan_request pr;
  pr.load_model = [&] { return model; };
  pr.protocols = {"aby3"};
  pr.examples = 8;
  pr.networks.clear();
  pr.threads = 1;
  const auto one = tfe::programs::plan_graph(pr).at(0);
  pr.threads = 2;
  const auto two = tfe::programs::plan_graph(pr).at(0);
  REQUIRE(one.per_player.size() == two.per_player.size());
  for (std::size_t p = 0; p < one.per_player.size(); ++p) {
    CHECK(one.per_player[p].bytes_sent == two.per_player[p].bytes_sent);
    CHECK(one.per_player[p].rounds == two.per_player[p].rounds);
    CHECK(one.peak_bytes[p] == two.peak_bytes[p]);
  }
  CHECK(two.product_seconds > 0);
}

TEST_CASE("the recommendation within a memory limit, and the limit's syntax") {
  const auto model = tfe::onnx::read_model(root + "onnx/fashion_mnist_cnn.onnx");
  tfe::programs::plan_request pr;
  pr.load_model = [&] { return model; };
  pr.protocols = {"aby3", "pond"};
  pr.examples = 20;
  pr.networks = {tfe::network_model::wan()};
  const auto plans = tfe::programs::plan_graph(pr);
  REQUIRE(plans.size() == 2);
  const auto fastest = tfe::programs::recommend(plans, 0);
  REQUIRE(fastest.has_value());
  for (const auto& p : plans) CHECK(p.seconds[0] >= plans[*fastest].seconds[0]);
  // A limit between the smallest and the fastest plan's peaks: the fastest that fits, never one above it.
  const std::size_t small = tfe::programs::smallest_peak(plans);
  for (const auto& p : plans) CHECK(p.max_peak_bytes() >= plans[small].max_peak_bytes());
  const auto limit = static_cast<std::uint64_t>(plans[small].max_peak_bytes());
  const auto fitting = tfe::programs::recommend(plans, 0, limit);
  REQUIRE(fitting.has_value());
  CHECK(static_cast<std::uint64_t>(plans[*fitting].max_peak_bytes()) <= limit);
  for (const auto& p : plans)
    if (static_cast<std::uint64_t>(p.max_peak_bytes()) <= limit) CHECK(p.seconds[0] >= plans[*fitting].seconds[0]);
  CHECK_FALSE(tfe::programs::recommend(plans, 0, limit - 1).has_value());  // below every plan's peak
  CHECK(tfe::programs::recommend(plans, 1) == std::nullopt);               // no such network
  CHECK(tfe::programs::parse_bytes("512M", "--memory-limit") == 512ull << 20);
  CHECK(tfe::programs::parse_bytes("1.5G", "--memory-limit") == 3ull << 29);
  CHECK(tfe::programs::parse_bytes("1000", "--memory-limit") == 1000);
  for (const char* bad : {"", "G", "8X", "-1G", "0", "8GB"})
    CHECK(tfe_test::contains(
        tfe_test::error_of<tfe::config_error>([&] { tfe::programs::parse_bytes(bad, "--memory-limit"); }),
        "--memory-limit: '" + std::string(bad) + "' is not a positive size"));
}

TEST_CASE("bad plan requests fail with a message that names the problem") {
  using tfe_test::contains;
  using tfe_test::error_of;
  auto model = tfe::onnx::read_model(root + "onnx/conv_transpose.onnx");
  tfe::programs::plan_request pr;
  pr.load_model = [&] { return model; };
  pr.protocols = {"plain"};
  CHECK(contains(error_of<tfe::config_error>([&] { tfe::programs::plan_graph(pr); }),
                 "no cost model for protocol 'plain'"));
  pr.protocols = {"aby3"};
  model.g.nodes[1].op_type = "NonMaxSuppression";
  const auto e = error_of<tfe::config_error>([&] { tfe::programs::plan_graph(pr); });
  CHECK(contains(e, "'NonMaxSuppression' is not supported"));
  CHECK(contains(e, "conv_transpose.onnx"));
  model = tfe::onnx::read_model(root + "onnx/conv_transpose.onnx");
  model.g.inputs[0].dims.back() = -1;
  CHECK(contains(error_of<tfe::config_error>([&] { tfe::programs::plan_graph(pr); }), "only axis 0"));
}

namespace {

/// The plan request of the hint tests: `model` under ABY3 and Pond, bytes and rounds only.
tfe::programs::plan_request hint_request(const tfe::graph::saved_graph& model, std::size_t examples) {
  tfe::programs::plan_request pr;
  pr.load_model = [&model] { return model; };
  pr.protocols = {"aby3", "pond"};
  pr.examples = examples;
  pr.networks.clear();
  pr.time_products = false;
  return pr;
}

/// The first n Fashion-MNIST test images (NCHW) and their labels.
tfe::programs::labelled_data labelled_images(std::size_t n) {
  auto data = tfe::io::load_fashion_mnist("test", n);
  tfe::programs::labelled_data labelled{xt::transpose(data.images, {0, 3, 1, 2}), {}};
  labelled.labels.assign(data.labels.begin(), data.labels.end());
  return labelled;
}

}  // namespace

TEST_CASE("hints: cheaper equivalents of max pooling and ReLU, planned, with their accuracy in the clear") {
  const auto model = tfe::onnx::read_model(root + "onnx/fashion_mnist_cnn.onnx");
  auto pr = hint_request(model, 2);
  const auto plans = tfe::programs::plan_graph(pr);
  const auto labelled = labelled_images(64);
  const auto hints = tfe::programs::plan_hints(pr, plans, &labelled);
  REQUIRE(hints.size() == 4);  // two changes (2 MaxPool, 3 Relu nodes) under two protocols
  CHECK(hints[0].change == "MaxPool -> AveragePool (2 nodes)");
  CHECK(tfe_test::contains(hints[2].change, "Relu -> quadratic"));
  for (const auto& h : hints) {
    CAPTURE(h.change);
    CAPTURE(h.protocol);
    // No comparison left in the replaced ops: fewer bytes in all, fewer rounds on the longest path.
    std::uint64_t before = 0, after = 0;
    for (const auto& s : h.before.per_player) before += s.bytes_sent;
    for (const auto& s : h.after.per_player) after += s.bytes_sent;
    CHECK(after < before);
    CHECK(h.after.max_rounds() < h.before.max_rounds());
    REQUIRE(h.accuracy_before.has_value());
    REQUIRE(h.accuracy_after.has_value());
    CHECK(*h.accuracy_before > 0.8);  // the shipped CNN (PyTorch's predictions: test_onnx_models)
  }
  // A quadratic in place of ReLU without retraining wrecks this CNN; the hint must say so.
  CHECK(*hints[2].accuracy_after < *hints[2].accuracy_before - 0.3);
}

TEST_CASE("hints: softmax as a ReLU-based normalization, planned, with its accuracy in the clear") {
  // The ViT's attention rows have 17 entries: the ReLU and the general reciprocal per row (about 30
  // thresholds, shared by the row) cost fewer bytes than the max, exp and range-aware reciprocal.
  const auto vit = tfe::onnx::read_model(root + "fashion_mnist_vit.onnx");
  auto pr = hint_request(vit, 1);
  const auto plans = tfe::programs::plan_graph(pr);
  const auto labelled = labelled_images(32);
  const auto hints = tfe::programs::plan_hints(pr, plans, &labelled);
  REQUIRE(hints.size() == 2);  // one change (2 Softmax nodes) under two protocols
  for (const auto& h : hints) {
    CAPTURE(h.protocol);
    CHECK(h.change == "Softmax -> relu(x) / (sum relu(x) + 2^-6) (2 nodes)");
    std::uint64_t before = 0, after = 0;
    for (const auto& s : h.before.per_player) before += s.bytes_sent;
    for (const auto& s : h.after.per_player) after += s.bytes_sent;
    MESSAGE(h.protocol, ": bytes ", before, " -> ", after, ", rounds ", h.before.max_rounds(), " -> ",
            h.after.max_rounds());
    CHECK(after < before);
    CHECK(h.after.max_rounds() < h.before.max_rounds());
    REQUIRE(h.accuracy_before.has_value());
    REQUIRE(h.accuracy_after.has_value());
    CHECK(*h.accuracy_before > 0.8);  // the shipped ViT (0.89 on the test set)
    CHECK(*h.accuracy_after >= 0.0);
    CHECK(*h.accuracy_after <= 1.0);
  }
  // Short rows: the attention block's 4 keys per row. Fewer rounds, but more bytes (the reciprocal
  // per row weighs more): the hint reports what it costs, whichever way.
  const auto attention = tfe::onnx::read_model(root + "onnx/attention_opset17.onnx");
  pr.load_model = [&] { return attention; };
  pr.examples = 2;
  const auto short_plans = tfe::programs::plan_graph(pr);
  const auto short_hints = tfe::programs::plan_hints(pr, short_plans, nullptr);
  REQUIRE(short_hints.size() == 2);
  for (const auto& h : short_hints) {
    CAPTURE(h.protocol);
    CHECK(h.after.max_rounds() < h.before.max_rounds());
    CHECK(!h.accuracy_after.has_value());
  }
  // Before opset 13 a Softmax normalizes over every axis from its own: no hint.
  auto old = attention;
  old.g.opset = 12;
  pr.load_model = [&] { return old; };
  CHECK(tfe::programs::plan_hints(pr, short_plans, nullptr).empty());
}
