// Large-model benchmarks (issue 25): BERT-base over 128 tokens and ResNet-50 on one 224×224 image,
// every player in one process, random weights from a fixed seed (benchmarks/large_models.hpp).
//
//   build/benchmarks/bench_large_models --model bert_base|resnet50 --protocol aby3,pond [--networks none]
//   build/benchmarks/bench_large_models --model bert_base --layers 2 --sequence 16 --hidden 64 --heads 4 --ffn 256
//   build/benchmarks/bench_large_models --model resnet50 --audit-truncations [--frac-bits 12 --int-bits 15]
//
// --audit-truncations runs the network under plain in ring64 and ring128 and prints, instead of
// timings, the expected number of truncation failures per run under Pond and ABY3
// (ring/truncation_audit.hpp). --max-diff X makes the run fail when a protocol's logits differ from
// plain's by more than X (the CI smoke run).
//
// glibc's malloc keeps its defaults (as in every benchmark binary): the figures are what an application
// linking tfe gets.
//
// Players: the protocol's servers, then "model-owner" (shares the weights before the clock starts)
// and "client" (shares its input before the clock starts, receives the logits inside the timed part).
// Each protocol prints one JSON line: the harness's fields (wall time, bytes and rounds per player,
// simulated LAN and WAN times: benchmarks/common.hpp), then
//   "peak_rss_gb"      the process's peak resident memory (every player; run one protocol per process
//                      for a figure of that protocol alone),
//   "max_logit_diff"   the largest difference of the logits from the `plain` protocol's (same ring,
//                      same fixed point: the protocol's own error), and "max_logit_diff_accurate" from
//                      plain in ring128 with 32 fractional bits (the protocol's and the fixed point's),
//   "ops"              per op type at server0: seconds, bytes sent, rounds, calls (the trace's node
//                      scopes; their sum is the graph's time).
#include "common.hpp"
#include "large_models.hpp"

#include <tfe/graph/model.hpp>

#include <sys/resource.h>

#include <map>

namespace {

namespace g = tfe::graph;

double peak_rss_gb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / (1024.0 * 1024.0);  // ru_maxrss is in KiB on Linux
}

struct network {
  std::string name;
  g::saved_graph model;
  xt::xarray<double> input;
  std::string params;
};

struct op_row {
  double seconds = 0;
  tfe::op_stats stats;
};

/// Per op type at `player`: the graph's node scopes of the trace (names in the op table).
std::map<std::string, op_row> op_breakdown(const tfe::trace_recorder& trace, const std::string& player) {
  std::map<std::string, op_row> rows;
  for (const auto& e : trace.events()) {
    if (e.player != player || !g::find_op(e.name)) continue;
    auto& r = rows[e.name];
    r.seconds += e.duration_us * 1e-6;
    r.stats += e.stats;
    r.stats.calls += 1;
  }
  return rows;
}

std::string ops_json(const std::map<std::string, op_row>& rows) {
  std::vector<std::pair<std::string, op_row>> v(rows.begin(), rows.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
  std::ostringstream os;
  os.precision(4);
  os << "{";
  for (std::size_t i = 0; i < v.size(); ++i)
    os << (i ? "," : "") << "\"" << v[i].first << "\":{\"s\":" << v[i].second.seconds
       << ",\"bytes_sent\":" << v[i].second.stats.bytes_sent << ",\"rounds\":" << v[i].second.stats.rounds
       << ",\"calls\":" << v[i].second.stats.calls << "}";
  os << "}";
  return os.str();
}

/// Runs `net` under P; returns the JSON line and (through `logits`) the client's output.
template <class P>
std::string bench_one(const bench::options& opt, const std::string& pname, const network& net,
                      xt::xarray<double>& logits, tfe::trace_recorder* user_trace) {
  auto players = P::default_players();
  players.push_back("model-owner");
  players.push_back("client");
  tfe::trace_recorder own;
  tfe::trace_recorder* trace = user_trace ? user_trace : &own;
  auto r = bench::run<P>(
      opt, players,
      [&](auto& s) {
        auto model = std::make_shared<g::model<P>>(g::share_model(s, "model-owner", [&] { return net.model; }));
        auto x = s.define_private_input("client", [&] { return net.input; });
        return [&s, model, x, &logits] {
          auto y = model->predict(x);
          s.define_output(
              "client", [&](const xt::xarray<double>& v) { logits = v; }, y);
        };
      },
      trace);
  const auto line = bench::to_json("large_models", pname, net.name, net.params, r);
  std::ostringstream extra;
  extra.precision(4);
  extra << ",\"peak_rss_gb\":" << peak_rss_gb() << ",\"ops\":" << ops_json(op_breakdown(*trace, players[0]));
  return line.substr(0, line.size() - 1) + extra.str();
}

/// Runs `net` under plain<R> with a truncation audit (untimed); prints one JSON line: the elements
/// truncated, the expected failures per run in that ring (Pond's and ABY3's one-round truncation),
/// the largest bit length, and the same per op type.
template <class R>
void audit(const bench::options& opt, const network& net) {
  using P = tfe::plain<R>;
  auto players = P::default_players();
  players.push_back("model-owner");
  players.push_back("client");
  tfe::truncation_audit record;
  tfe::launch_options base;
  base.session = opt.session;
  tfe::launch_flags launch = opt.launch;
  launch.simulate.clear();
  (void)tfe::run_program<P>(
      launch, players,
      [&](auto& s) {
        auto model = g::share_model(s, "model-owner", [&] { return net.model; });
        auto x = s.define_private_input("client", [&] { return net.input; });
        // Only the graph's truncations count (not the encoding of the inputs and weights).
        s.set_truncation_audit(&record);
        auto y = model.predict(x);
        s.set_truncation_audit(nullptr);
        s.define_output(
            "client", [](const xt::xarray<double>&) {}, y);
        return 0;
      },
      base);
  std::map<std::string, tfe::truncation_audit::entry> by_op;
  for (const auto& [path, e] : record.by_scope) {
    // "graph/<op type>/...": the node's op type.
    std::string op = path;
    const auto at = path.find("graph/");
    if (at != std::string::npos) op = path.substr(at + 6);
    op = op.substr(0, op.find('/'));
    auto& t = by_op[op];
    t.elements += e.elements, t.expected_failures += e.expected_failures, t.max_bits = std::max(t.max_bits, e.max_bits);
  }
  const auto t = record.total();
  std::ostringstream os;
  os.precision(4);
  os << "{\"bench\":\"large_models_truncation_audit\",\"workload\":\"" << net.name << "\",\"params\":{" << net.params
     << "},\"ring\":\"" << tfe::ring_traits<R>::name()
     << "\",\"frac_bits\":" << opt.session.fixed_point.value_or(tfe::fixed_point_config::preset<R>()).frac_bits
     << ",\"elements\":" << t.elements << ",\"expected_failures\":" << t.expected_failures << ",\"max_bits\":"
     << t.max_bits
     // The exact truncation never fails below 2^(ℓ−2) (protocol/exact_truncation.hpp).
     << ",\"exact_truncation_in_range\":" << (t.max_bits < tfe::ring_traits<R>::bits - 2 ? "true" : "false")
     << ",\"ops\":{";
  bool first = true;
  for (const auto& [op, e] : by_op) {
    os << (first ? "" : ",") << "\"" << op << "\":{\"elements\":" << e.elements
       << ",\"expected_failures\":" << e.expected_failures << ",\"max_bits\":" << e.max_bits << "}";
    first = false;
  }
  os << "}}";
  std::cout << os.str() << std::endl;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string model = "bert_base";
  bench::large::bert_config bert;
  bench::large::resnet_config resnet;
  bool compare = true, audit_only = false;
  std::optional<unsigned> frac_bits, int_bits;
  double max_diff = -1;
  // Exact by default: BERT-base truncates about 10^8 values per run, and the probabilistic truncation
  // would fail a few runs in a hundred on ring64 (docs/benchmarks.md, "Truncation failures per run").
  std::string truncation = "exact";
  // The harness's options, with the model's on top (parsed by one CLI11 app: unknown flags fail).
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      TFE_ENFORCE(i + 1 < argc, tfe::config_error, a, " needs a value");
      return argv[++i];
    };
    if (a == "--model")
      model = next();
    else if (a == "--layers")
      bert.layers = std::stoul(next());
    else if (a == "--sequence")
      bert.sequence = std::stoul(next());
    else if (a == "--hidden")
      bert.hidden = std::stoul(next());
    else if (a == "--heads")
      bert.heads = std::stoul(next());
    else if (a == "--ffn")
      bert.ffn = std::stoul(next());
    else if (a == "--image")
      resnet.image = std::stoul(next());
    else if (a == "--width")
      resnet.width = std::stoul(next());
    else if (a == "--no-compare")
      compare = false;
    else if (a == "--audit-truncations")
      audit_only = true;
    else if (a == "--frac-bits")
      frac_bits = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--int-bits")
      int_bits = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--max-diff")
      max_diff = std::stod(next());
    else if (a == "--truncation")
      truncation = next();
    else
      rest.push_back(argv[i]);
  }
  auto opt = bench::options::parse(
      static_cast<int>(rest.size()), rest.data(),
      "Large-model benchmarks: BERT-base and ResNet-50 (extra flags: --model "
      "bert_base|resnet50, --layers, --sequence, --hidden, --heads, --ffn, --image, "
      "--width, --no-compare, --audit-truncations: the expected truncation failures per run, ring64 and "
      "ring128, measured under plain; --frac-bits F --int-bits I: the fixed point; --max-diff X: exit 1 "
      "when a protocol's logits differ from plain's by more than X; --truncation exact|probabilistic, "
      "default exact)");
  TFE_ENFORCE(truncation == "exact" || truncation == "probabilistic", tfe::config_error,
              "--truncation: expected exact or probabilistic, got '", truncation, "'");
  opt.session.truncation = truncation == "exact" ? tfe::truncation_mode::exact : tfe::truncation_mode::probabilistic;
  if (frac_bits || int_bits) {
    TFE_ENFORCE(frac_bits && int_bits, tfe::config_error, "--frac-bits and --int-bits go together");
    opt.session.fixed_point = tfe::fixed_point_config{*frac_bits, *int_bits};
  }
  network net;
  net.name = model;
  if (model == "bert_base") {
    net.model = bench::large::bert(bert);
    net.input = bench::large::bert_input(bert);
    net.params = "\"layers\":" + std::to_string(bert.layers) + ",\"hidden\":" + std::to_string(bert.hidden) +
                 ",\"heads\":" + std::to_string(bert.heads) + ",\"ffn\":" + std::to_string(bert.ffn) +
                 ",\"sequence\":" + std::to_string(bert.sequence);
  } else if (model == "resnet50") {
    net.model = bench::large::resnet50(resnet);
    net.input = bench::large::resnet_input(resnet);
    net.params = "\"image\":" + std::to_string(resnet.image) + ",\"width\":" + std::to_string(resnet.width);
  } else {
    throw tfe::config_error("--model: unknown model '" + model + "' (bert_base, resnet50)");
  }
  net.params += ",\"truncation\":\"" + truncation + "\"";
  if (audit_only) {
    audit<tfe::ring64>(opt, net);
    audit<tfe::ring128>(opt, net);
    return 0;
  }
  // The reference: `plain` in the same ring as each protocol (computed once per ring, untimed).
  std::map<std::size_t, xt::xarray<double>> reference;
  std::optional<xt::xarray<double>> accurate;
  bool failed = false;
  bench::for_each_protocol(opt, [&]<class P>(const std::string& name, tfe::trace_recorder* trace) {
    xt::xarray<double> logits;
    auto line = bench_one<P>(opt, name, net, logits, trace);
    if (compare) {
      using plain_p = tfe::plain<typename P::ring>;
      constexpr std::size_t bits = sizeof(typename P::ring) * 8;
      if (!reference.count(bits)) {
        bench::options quiet = opt;
        quiet.networks.clear();
        quiet.repeat = 1;
        xt::xarray<double> ref;
        tfe::trace_recorder unused;
        (void)bench_one<plain_p>(quiet, "plain", net, ref, &unused);
        reference[bits] = ref;
      }
      // The accurate reference: plain in ring128 with its preset (32 fractional bits), whatever the
      // fixed point of this run: the error of the protocol and of the fixed point together.
      if (!accurate) {
        bench::options quiet = opt;
        quiet.networks.clear();
        quiet.repeat = 1;
        quiet.session.fixed_point.reset();
        accurate.emplace();
        tfe::trace_recorder unused;
        (void)bench_one<tfe::plain<tfe::ring128>>(quiet, "plain128", net, *accurate, &unused);
      }
      const double diff = xt::amax(xt::abs(logits - reference[bits]))();
      std::ostringstream os;
      os.precision(4);
      os << ",\"max_logit_diff\":" << diff << ",\"max_logit_diff_accurate\":" << xt::amax(xt::abs(logits - *accurate))()
         << ",\"logit_range\":" << xt::amax(xt::abs(reference[bits]))();
      line += os.str();
      if (max_diff >= 0 && !(diff <= max_diff)) {
        std::cerr << "bench_large_models: " << name << ": logits differ from plain's by " << diff << " > " << max_diff
                  << "\n";
        failed = true;
      }
    }
    std::cout << line << "}" << std::endl;
  });
  return failed ? 1 : 0;
} catch (const std::exception& e) {
  std::cerr << "bench_large_models: " << e.what() << "\n";
  return 1;
}
