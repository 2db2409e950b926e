// tests/test_serve_processes.cpp: tfe_serve and tfe_client as real processes on 127.0.0.1 over TLS
// (issue 20). Under ABY3: several concurrent clients each get exactly their own predictions, equal
// to the plain protocol's on the same input; a request with a wrong shape is refused with the
// reason while the others are served, and so is one for another ring (an integer input is refused
// by the client itself); a client with a certificate not on the list is refused, one from another
// CA fails its TLS handshake; a client killed in the middle of its requests does not stall the
// servers; SIGTERM at one server while a client streams requests ends every server with exit 0 and
// the client with a refusal, not a hang. Under Pond (with its crypto producer): two concurrent
// clients, then SIGTERM at every server. A server killed: the others stop, exit non-zero and name
// it. In process: the client's input shares (seeds on the wire, what each server holds) and the
// server's check of a request's seeded components.
#include <doctest/doctest.h>

#include "serve_models.hpp"
#include "test_tcp_common.hpp"
#include "tfe/io/idx.hpp"
#include "tfe/io/npy.hpp"
#include "tfe/onnx/reader.hpp"
#include "tfe/serve/board.hpp"
#include "tfe/serve/shares.hpp"

#include "tfe/testing/serve_local.hpp"

#include <chrono>
#include <mutex>
#include <thread>

namespace {

using namespace std::chrono_literals;
using tfe::testing::child_process;

const std::string mlp = TFE_SOURCE_DIR "/models/onnx/fashion_mnist_mlp.onnx";

/// The servers of `protocol` serving the MLP to `clients`, in a fresh directory.
tfe::testing::local_serving serve_mlp(const std::string& protocol, const std::vector<std::string>& clients) {
  tfe::testing::serving_setup setup;
  setup.serve_bin = TFE_SERVE_BIN;
  setup.source_dir = TFE_SOURCE_DIR;
  setup.dir = tfe_tcp_test::scratch_dir("serve-" + protocol);
  setup.protocol = protocol;
  setup.model = mlp;
  setup.clients = clients;
  setup.server_args = {"--timeout", "20", "--connect-timeout", "60", "--threads", "1"};
  return tfe::testing::local_serving(setup);
}

/// The first n Fashion-MNIST test images, (n, 1, 28, 28), as float32 (what the clients read).
xt::xarray<double> images(std::size_t n, const std::string& npy) {
  auto d = tfe::io::load_fashion_mnist("test", n);
  xt::xarray<double> x = d.images;
  x.reshape({n, 1, 28, 28});  // NHWC with one channel: the same order
  tfe::io::save_npy(npy, x);
  return tfe::io::load_npy(npy);
}

/// The MLP under the plain protocol, in this process: the reference.
xt::xarray<double> plain_logits(const xt::xarray<double>& x) {
  using P = tfe::plain<tfe::ring64>;
  std::mutex m;
  xt::xarray<double> out;
  tfe::run_local<P>({"server0", "model-owner", "client"}, [&](tfe::session<P>& s) {
    tfe::programs::serve_model_provider f = [] { return tfe::onnx::read_model(mlp); };
    auto model = tfe::graph::share_model<P>(s, "model-owner", std::move(f));
    auto in = s.define_private_input("client", [&] { return x; });
    auto y = s.reveal_to("client", model.predict(std::vector<tfe::private_tensor<P>>{in}).at(0));
    std::lock_guard lock(m);
    if (y) out = *y;
  });
  return out;
}

/// Rows [lo, hi) of a.
xt::xarray<double> rows(const xt::xarray<double>& a, std::size_t lo, std::size_t hi) {
  return xt::view(a, xt::range(lo, hi));
}

void check_close(const xt::xarray<double>& got, const xt::xarray<double>& want, const std::string& who) {
  INFO(who);
  REQUIRE(tfe::shape_of(got) == tfe::shape_of(want));
  CHECK(xt::amax(xt::abs(got - want))() < 0.02);
  CHECK(xt::argmax(got, 1) == xt::argmax(want, 1));
}

}  // namespace

/// Fraction of set bits in a tensor's elements (1/2 for uniform elements).
double ones_fraction(const tfe::serve::ring_array& a) {
  std::size_t ones = 0;
  for (auto v : a) ones += static_cast<std::size_t>(__builtin_popcountll(v));
  return double(ones) / double(64 * a.size());
}

TEST_CASE("serve: input shares: seeds on the wire, the components add up to x, each server's view uniform") {
  using namespace tfe::serve;
  tfe::prg g;
  const tfe::shape_t shape{3, 784};
  // x constant: a component that leaked x would show it as a bias in its bits (and in its equality).
  ring_array x = ring_array::from_shape(shape);
  x.fill(tfe::ring64(1) << 16);
  {
    auto sh = share_input(layout_of("aby3"), x, g);
    REQUIRE(sh.size() == 3);
    for (const auto& srv : sh) REQUIRE(srv.size() == 2);
    // server 0: (s0, s1); server 1: (s1, c2); server 2: (c2, s0)
    CHECK(sh[0][0].seed.has_value());
    CHECK(sh[0][1].seed.has_value());
    CHECK(sh[1][0].seed.has_value());
    CHECK_FALSE(sh[1][1].seed.has_value());
    CHECK_FALSE(sh[2][0].seed.has_value());
    CHECK(sh[2][1].seed.has_value());
    CHECK(*sh[1][0].seed == *sh[0][1].seed);
    CHECK(*sh[2][1].seed == *sh[0][0].seed);
    CHECK(*sh[0][0].seed != *sh[0][1].seed);
    CHECK(sh[1][1].values == sh[2][0].values);
    const ring_array c0 = expand_component(*sh[0][0].seed, shape), c1 = expand_component(*sh[0][1].seed, shape);
    const ring_array& c2 = sh[1][1].values;
    CHECK(ring_array(c0 + c1 + c2) == x);
    for (const ring_array* c : {&c0, &c1, &c2}) {
      CHECK(ones_fraction(*c) == doctest::Approx(0.5).epsilon(0.02));  // 150,528 bits: 5σ ≈ 0.0064
      CHECK(*c != x);
    }
    // A second sharing of the same x: fresh seeds, a fresh c2.
    auto again = share_input(layout_of("aby3"), x, g);
    CHECK(*again[0][0].seed != *sh[0][0].seed);
    CHECK(again[1][1].values != c2);
  }
  {
    auto sh = share_input(layout_of("pond"), x, g);
    REQUIRE(sh.size() == 2);
    CHECK(sh[0][0].seed.has_value());
    CHECK_FALSE(sh[1][0].seed.has_value());
    const ring_array c0 = expand_component(*sh[0][0].seed, shape);
    CHECK(ring_array(c0 + sh[1][0].values) == x);
    CHECK(ones_fraction(sh[1][0].values) == doctest::Approx(0.5).epsilon(0.02));
  }
}

TEST_CASE("serve: check_request counts a seeded component as 16 bytes and names a malformed seeded list") {
  using namespace tfe::serve;
  const request_rules rules{"aby3", "ring64", 16, 2, {-1, 1, 28, 28}, 8};
  nlohmann::json h = {{"type", "predict"},       {"id", std::uint64_t(7)}, {"protocol", "aby3"},
                      {"ring", "ring64"},        {"frac_bits", 16},        {"parts", 2},
                      {"shape", {2, 1, 28, 28}}, {"seeded", {true, false}}};
  const std::size_t n = 2 * 28 * 28 * sizeof(ring);
  CHECK_FALSE(check_request(h, 16 + n, rules).has_value());
  const auto wrong = check_request(h, 2 * n, rules);
  REQUIRE(wrong.has_value());
  CHECK(wrong->find("need " + std::to_string(16 + n)) != std::string::npos);
  h["seeded"] = {true, true};
  CHECK_FALSE(check_request(h, 32, rules).has_value());
  h.erase("seeded");  // a client that sends every component in full
  CHECK_FALSE(check_request(h, 2 * n, rules).has_value());
  h["seeded"] = {true};
  const auto bad = check_request(h, 32, rules);
  REQUIRE(bad.has_value());
  CHECK(bad->find("\"seeded\" must list true or false for each of the 2 components") != std::string::npos);
  h["seeded"] = {1, 0};
  CHECK(check_request(h, 16 + n, rules).has_value());
}

TEST_CASE("serve: ABY3 MLP: concurrent clients get their own predictions; refusals; a killed client; SIGTERM") {
  const std::vector<std::string> clients = {"alice", "bob", "carol", "dave", "eve"};
  auto d = serve_mlp("aby3", clients);
  const auto x = images(16, d.file("all.npy"));
  const auto want = plain_logits(x);
  for (std::size_t c = 0; c < 4; ++c) tfe::io::save_npy(d.file(clients[c] + ".npy"), rows(x, 4 * c, 4 * c + 4));
  tfe::io::save_npy(d.file("bad.npy"), xt::xarray<double>(xt::zeros<double>({2, 1, 27, 28})));

  // Four clients at once, two rows per request, and a bad request among them.
  std::vector<child_process> ps;
  for (std::size_t c = 0; c < 4; ++c)
    ps.push_back(d.client(TFE_CLIENT_BIN, clients[c], d.file(clients[c] + ".npy"), d.file(clients[c] + ".out.npy"),
                          {"--rows", "2"}));
  child_process bad = d.client(TFE_CLIENT_BIN, "eve", d.file("bad.npy"), "");
  for (std::size_t c = 0; c < 4; ++c) {
    REQUIRE_MESSAGE(ps[c].wait(60s) == 0, ps[c].output());
    check_close(tfe::io::load_npy(d.file(clients[c] + ".out.npy")), rows(want, 4 * c, 4 * c + 4), clients[c]);
  }
  CHECK(bad.wait(60s) == 1);
  CHECK_MESSAGE(
      bad.output().find("input of shape (2, 1, 27, 28), but the model takes (N, 1, 28, 28)") != std::string::npos,
      bad.output());

  // A request for another ring, and an integer input (refused by the client itself, naming the file).
  child_process ring = d.client(TFE_CLIENT_BIN, "eve", d.file("alice.npy"), "", {"--ring", "ring128"});
  CHECK(ring.wait(60s) == 1);
  CHECK_MESSAGE(ring.output().find("ring ring128 requested, but these servers compute in ring64") != std::string::npos,
                ring.output());
  child_process labels =
      d.client(TFE_CLIENT_BIN, "eve", TFE_SOURCE_DIR "/models/onnx/fashion_mnist_test_labels_1000.npy", "");
  CHECK(labels.wait(60s) == 2);
  CHECK_MESSAGE(labels.output().find("fashion_mnist_test_labels_1000.npy: holds dtype '<i8'") != std::string::npos,
                labels.output());

  // A certificate from the CA but not on the list of clients.
  child_process mallory = d.client(TFE_CLIENT_BIN, "mallory", d.file("alice.npy"), "");
  CHECK(mallory.wait(60s) != 0);
  CHECK_MESSAGE(mallory.output().find("'mallory' is not on the servers' list of clients") != std::string::npos,
                mallory.output());

  // A certificate from another CA: the TLS handshake fails at once, with the reason.
  tfe_tcp_test::make_certs(d.file("other"), {"alice"});
  child_process stranger({TFE_CLIENT_BIN, "--hosts", d.hosts(), "--cert", d.file("other/alice.pem"), "--key",
                          d.file("other/alice.key"), "--input", d.file("alice.npy")},
                         d.file("stranger.log"));
  CHECK(stranger.wait(60s) == 2);
  CHECK_MESSAGE(stranger.output().find("TLS with server") != std::string::npos, stranger.output());

  // A client killed in the middle of many requests, then another client is served.
  {
    child_process busy =
        d.client(TFE_CLIENT_BIN, "carol", d.file("carol.npy"), "", {"--rows", "1", "--repeat", "100000"});
    std::this_thread::sleep_for(500ms);
    busy.signal(SIGKILL);
    CHECK(busy.wait(10s) == -1);
  }
  child_process after = d.client(TFE_CLIENT_BIN, "bob", d.file("bob.npy"), d.file("bob.again.npy"));
  REQUIRE_MESSAGE(after.wait(60s) == 0, after.output());
  check_close(tfe::io::load_npy(d.file("bob.again.npy")), rows(want, 4, 8), "bob after the killed client");

  // SIGTERM at one server while a client streams requests: every server ends cleanly, and the client
  // gets its answers, then a refusal or a closed connection (exit 1), never a hang.
  child_process streaming =
      d.client(TFE_CLIENT_BIN, "dave", d.file("dave.npy"), "", {"--rows", "1", "--repeat", "100000"});
  std::this_thread::sleep_for(500ms);
  d.servers[1].signal(SIGTERM);
  for (auto& s : d.servers) {
    CHECK_MESSAGE(s.wait(30s) == 0, s.output());
    CHECK_MESSAGE(s.output().find("stopped cleanly") != std::string::npos, s.output());
  }
  const int streamed = streaming.wait(30s);  // 1: refused or cut off; 2: it could not even connect (slow start)
  CHECK_MESSAGE((streamed == 1 || streamed == 2), streaming.output());
}

TEST_CASE("serve: Pond MLP with its crypto producer: two concurrent clients, SIGTERM at every server") {
  auto d = serve_mlp("pond", {"alice", "bob"});
  const auto x = images(6, d.file("all.npy"));
  const auto want = plain_logits(x);
  tfe::io::save_npy(d.file("alice.npy"), rows(x, 0, 3));
  tfe::io::save_npy(d.file("bob.npy"), rows(x, 3, 6));
  child_process a = d.client(TFE_CLIENT_BIN, "alice", d.file("alice.npy"), d.file("alice.out.npy"), {"--rows", "1"});
  child_process b = d.client(TFE_CLIENT_BIN, "bob", d.file("bob.npy"), d.file("bob.out.npy"));
  REQUIRE_MESSAGE(a.wait(60s) == 0, a.output());
  REQUIRE_MESSAGE(b.wait(60s) == 0, b.output());
  check_close(tfe::io::load_npy(d.file("alice.out.npy")), rows(want, 0, 3), "alice");
  check_close(tfe::io::load_npy(d.file("bob.out.npy")), rows(want, 3, 6), "bob");
  for (auto& s : d.servers) s.signal(SIGTERM);
  for (auto& s : d.servers) CHECK_MESSAGE(s.wait(30s) == 0, s.output());
}

TEST_CASE("serve: a server that loses a peer stops serving and names it") {
  auto d = serve_mlp("aby3", {"alice"});
  images(2, d.file("alice.npy"));
  d.servers[2].signal(SIGKILL);
  CHECK(d.servers[2].wait(10s) == -1);
  for (std::size_t i = 0; i < 2; ++i) {
    const int rc = d.servers[i].wait(60s);
    CHECK_MESSAGE((rc != 0 && rc != -1), d.servers[i].output());  // exited with an error, not hung
    CHECK_MESSAGE(d.servers[i].output().find("server2") != std::string::npos, d.servers[i].output());
  }
  child_process late = d.client(TFE_CLIENT_BIN, "alice", d.file("alice.npy"), "", {"--connect-timeout", "1"});
  CHECK(late.wait(30s) != 0);
}
