// tfe_onnx_conformance: the ONNX project's own backend tests (Debian's libonnx-testdata) as tfe's
// conformance oracle. Every test directory holds model.onnx and test_data_set_*/{input,output}_*.pb;
// each supported test runs under the protocol (every player in this process, the ONNX model read by
// the model owner, the inputs shared by the client) and its outputs are compared with the expected
// ones within the tolerance of its least exact op (tolerance_of below, docs/onnx.md).
//
//   tfe_onnx_conformance [--data /usr/share/libonnx-testdata/data] [--protocol plain] [--sample K]
//                        [--filter SUBSTRING] [--markdown FILE] [--verbose]
//
// Outcomes: pass; FAIL (a wrong value, or an error other than the ones below); skipped because the
// model has an op or attribute tfe does not support (the load-time check), a format tfe does not read
// (integer graph inputs, strings, subgraphs...), an op used in a way tfe refuses with a clear error
// (e.g. a private exponent), or values outside the fixed-point range. Exit status 1 when any test
// FAILs. --sample K runs every K-th test; --max-elements N skips (as "large") the tests whose inputs
// hold more than N elements (CI under SecureNN, whose comparisons are slow: issue 18).
#include "graph_runner.hpp"

#include "tfe/graph/op_table.hpp"
#include "tfe/onnx/reader.hpp"
#include "tfe/protocol/registry.hpp"
#include "tfe/runtime/cli.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace {

struct tolerance {
  double atol, rtol;
};

/// Per op: |got − expected| ≤ atol + rtol·|expected|. Exact ops (structural, comparisons) and linear
/// ones are within a few fixed-point ulps and the rounding of float32 inputs; the approximations
/// carry their stated error (tfe/ops/approx*.hpp).
tolerance tolerance_of(const std::string& op) {
  static const std::map<std::string, tolerance> table{
      {"HardSigmoid", {2e-3, 0}},
      {"HardSwish", {4e-3, 0}},
      {"Exp", {2e-3, 2e-3}},
      {"Log", {2e-3, 1e-3}},
      {"Sqrt", {2e-3, 2e-3}},
      {"Reciprocal", {2e-3, 2e-3}},
      {"Div", {2e-3, 2e-3}},
      {"Pow", {2e-3, 2e-3}},
      {"Softmax", {2e-3, 1e-3}},
      {"LogSoftmax", {5e-3, 1e-3}},
      {"Softplus", {5e-3, 1e-3}},
      {"Softsign", {2e-3, 2e-3}},
      {"Elu", {3e-3, 1e-3}},
      {"Selu", {4e-3, 1e-3}},
      {"LayerNormalization", {1e-2, 1e-2}},
      {"InstanceNormalization", {1e-2, 1e-2}},
      {"BatchNormalization", {5e-3, 5e-3}},
      {"ReduceL2", {2e-3, 2e-3}},
  };
  auto it = table.find(op);
  return it == table.end() ? tolerance{1e-3, 1e-3} : it->second;
}

struct outcome {
  std::string status;  // pass, FAIL, unsupported, format, refused, range
  std::string detail;
};

std::vector<std::string> sorted_files(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path().string());
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;  // input_2 before input_10
  });
  return out;
}

outcome run_test(const fs::path& dir, const std::string& protocol, std::set<std::string>& ops,
                 std::size_t max_elements) {
  tfe::graph::saved_graph model;
  try {
    model = tfe::onnx::read_model((dir / "model.onnx").string());
  } catch (const tfe::file_error& e) {
    return {"format", e.what()};
  }
  for (const auto& n : model.g.nodes) ops.insert(n.op_type);
  try {
    tfe::graph::check_supported(model.g);
  } catch (const tfe::config_error& e) {
    return {"unsupported", e.what()};
  }
  tolerance tol{1e-3, 1e-3};
  for (const auto& op : ops) {
    auto t = tolerance_of(op);
    tol.atol = std::max(tol.atol, t.atol), tol.rtol = std::max(tol.rtol, t.rtol);
  }
  double worst = 0;
  for (const auto& set : sorted_files(dir, "test_data_set_")) {
    std::vector<xt::xarray<double>> inputs, expected;
    try {
      for (const auto& f : sorted_files(set, "input_")) {
        auto a = tfe::onnx::read_tensor_array(f);
        const std::size_t i = inputs.size();
        // Test data that contradict their own model (ONNX 1.12 stores bfloat16 inputs as uint16 bit
        // patterns, and one CastLike test's input has another shape than declared): not a tfe result.
        if (i < model.g.inputs.size()) {
          const auto& spec = model.g.inputs[i];
          if (a.integer && !spec.integer)
            return {"format", f + ": the test data hold integers for the real input '" + spec.name + "'"};
          if (!tfe::graph::dims_match(tfe::shape_of(a.data), spec.dims))
            return {"format", f + ": the test data's shape " + tfe::shape_str(tfe::shape_of(a.data)) +
                                  " contradicts the model's " + tfe::graph::dims_str(spec.dims)};
        }
        inputs.push_back(std::move(a.data));
      }
      for (const auto& f : sorted_files(set, "output_")) expected.push_back(tfe::onnx::read_tensor(f));
    } catch (const tfe::file_error& e) {
      return {"format", e.what()};
    }
    std::size_t elements = 0;
    for (const auto& a : inputs) elements += a.size();
    if (max_elements > 0 && elements > max_elements)
      return {"large",
              std::to_string(elements) + " input elements (--max-elements " + std::to_string(max_elements) + ")"};
    if (inputs.size() != model.g.inputs.size())
      return {"format", std::to_string(inputs.size()) + " input files for " + std::to_string(model.g.inputs.size()) +
                            " graph inputs"};
    tfe::programs::graph_request rq;
    rq.protocol = protocol;
    rq.load_model = [&] { return model; };
    rq.load_inputs = [&] { return inputs; };
    tfe::programs::graph_result r;
    try {
      r = tfe::programs::run_graph(rq);
    } catch (const tfe::player_error& e) {
      try {
        e.rethrow_original();
      } catch (const tfe::encoding_error& x) {
        return {"range", x.what()};
      } catch (const tfe::config_error& x) {
        return {"refused", x.what()};
      } catch (const std::exception& x) {
        return {"FAIL", std::string("error: ") + x.what()};
      }
    }
    if (r.outputs.size() != expected.size())
      return {"FAIL", std::to_string(r.outputs.size()) + " outputs, expected " + std::to_string(expected.size())};
    for (std::size_t k = 0; k < expected.size(); ++k) {
      const auto& got = r.outputs[k];
      const auto& want = expected[k];
      if (tfe::shape_of(got) != tfe::shape_of(want) && got.size() != want.size())
        return {"FAIL", "output " + std::to_string(k) + " has shape " + tfe::shape_str(tfe::shape_of(got)) +
                            ", expected " + tfe::shape_str(tfe::shape_of(want))};
      for (std::size_t i = 0; i < want.size(); ++i) {
        const double w = want.flat(i), g = got.flat(i);
        if (std::isnan(w)) return {"range", "the expected output holds NaN"};
        if (std::isinf(w)) return {"range", "the expected output holds infinity"};
        const double err = std::abs(g - w);
        worst = std::max(worst, err);
        if (err > tol.atol + tol.rtol * std::abs(w)) {
          std::ostringstream os;
          os << "output " << k << " element " << i << ": " << g << ", expected " << w << " (tolerance " << tol.atol
             << " + " << tol.rtol << "·|x|)";
          return {"FAIL", os.str()};
        }
      }
    }
  }
  std::ostringstream os;
  os << "max error " << std::setprecision(3) << worst;
  return {"pass", os.str()};
}

}  // namespace

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    std::string data = "/usr/share/libonnx-testdata/data", filter, markdown;
    std::vector<std::string> protocols{"plain"};
    std::size_t sample = 1, max_elements = 0;
    bool verbose = false;
    CLI::App app{"tfe_onnx_conformance: the ONNX backend tests under tfe protocols"};
    app.add_option("--data", data, "the test data (directories node, pytorch-converted, pytorch-operator, simple)");
    app.add_option("--protocol", protocols, tfe::protocol_names_str() + ", or all (default plain; several allowed)");
    app.add_option("--sample", sample, "run every K-th test only (default 1: all)");
    app.add_option("--filter", filter, "run the tests whose name contains this");
    app.add_option("--max-elements", max_elements, "skip tests with more input elements than this (0: none)");
    app.add_option("--markdown", markdown, "write the per-op table (pass counts per protocol) here");
    app.add_flag("--verbose", verbose, "print every test's outcome");
    tfe::launch_flags none;
    tfe::parse_command_line(app, none, argc, argv);
    TFE_ENFORCE(sample >= 1, tfe::config_error, "--sample must be at least 1");
    if (protocols == std::vector<std::string>{"all"}) protocols = tfe::protocol_names();

    std::vector<fs::path> tests;
    for (const char* suite : {"node", "pytorch-converted", "pytorch-operator", "simple"}) {
      const fs::path d = fs::path(data) / suite;
      if (!fs::is_directory(d)) continue;
      for (const auto& e : fs::directory_iterator(d))
        if (fs::exists(e.path() / "model.onnx") && e.path().string().find(filter) != std::string::npos)
          tests.push_back(e.path());
    }
    std::sort(tests.begin(), tests.end());
    TFE_ENFORCE(!tests.empty(), tfe::config_error, "no ONNX backend tests under ", data,
                " (install libonnx-testdata: scripts/setup.sh)");
    // op -> protocol -> status -> count
    std::map<std::string, std::map<std::string, std::map<std::string, std::size_t>>> per_op;
    bool failed = false;
    for (const auto& protocol : protocols) {
      std::map<std::string, std::size_t> totals;
      std::size_t index = 0;
      for (const auto& t : tests) {
        if (index++ % sample != 0) continue;
        std::set<std::string> ops;
        const auto o = run_test(t, protocol, ops, max_elements);
        ++totals[o.status];
        for (const auto& op : ops) ++per_op[op][protocol][o.status];
        if (verbose || o.status == "FAIL")
          std::cout << std::left << std::setw(12) << o.status << std::setw(10) << protocol
                    << t.parent_path().filename().string() << "/" << t.filename().string() << "  " << o.detail << "\n";
      }
      std::cout << "tfe_onnx_conformance under " << protocol << " (" << (sample == 1 ? "every" : "a sample of the")
                << " test" << (sample == 1 ? "" : "s") << "):";
      for (const auto& [status, n] : totals) std::cout << " " << status << " " << n;
      std::cout << "\n";
      failed = failed || totals.count("FAIL");
    }
    if (!markdown.empty()) {
      std::ofstream md(markdown);
      if (!md.good()) throw tfe::file_error(markdown, "cannot be written");
      md << "| op | tfe |";
      for (const auto& p : protocols) md << " pass " << p << " |";
      md << " FAIL | unsupported | format | refused | range |\n|---|---|";
      for (std::size_t i = 0; i < protocols.size(); ++i) md << "---|";
      md << "---|---|---|---|---|\n";
      for (const auto& [op, by_protocol] : per_op) {
        auto get = [&](const std::string& p, const char* k) {
          auto it = by_protocol.find(p);
          return it == by_protocol.end() || !it->second.count(k) ? std::size_t(0) : it->second.at(k);
        };
        md << "| " << op << " | " << (tfe::graph::find_op(op) ? "yes" : "no") << " |";
        std::size_t fail = 0;
        for (const auto& p : protocols) md << " " << get(p, "pass") << " |", fail += get(p, "FAIL");
        const auto& p0 = protocols.front();
        md << " " << fail << " | " << get(p0, "unsupported") << " | " << get(p0, "format") << " | "
           << get(p0, "refused") << " | " << get(p0, "range") << " |\n";
      }
    }
    return failed ? 1 : 0;
  });
}
