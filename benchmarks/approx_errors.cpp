// approx_errors: the measured maximum error and the cost of every approximation in tfe/ops/approx.hpp
// and tfe/ops/approx_elementary.hpp, as JSON lines (the source of docs/approximations.md).
//
//   build/benchmarks/approx_errors [--points N] [--protocol plain64,plain128,pond64,pond128]
//
// For each function and protocol: a dense grid of the documented domain (N points, default 100001,
// evaluated in chunks of 10^4 in one session), the error against double math on the ENCODED input
// (round(x·2^f)/2^f, the value the protocol computes on), and from server0's statistics under the
// function's tag: product-and-comparison rounds per call and payload bytes sent per input value
// (server0, and the crypto producer for Pond). Error metrics:
//   relative: rho = the smallest ρ with |ŷ − y| ≤ ρ·|y| + α·2^-f at every point (α as documented);
//   absolute: max |ŷ − y| (also in steps 2^-f).
// The cost columns sign_thresholds / products / product_rounds are the documented per-value counts.
#include "tfe/tfe.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct spec {
  std::string name;    // function (and statistics tag)
  std::string tag;     // statistics tag when it differs
  std::string domain;  // human-readable
  std::string metric;  // "relative", "absolute" or "exact"
  double alpha = 0;    // relative: absolute slack in steps 2^-f
  std::function<xt::xarray<double>(std::size_t)> grid;
  std::function<double(double)> ref;
  std::size_t thresholds = 0, products = 0, product_rounds = 0;
  std::size_t group = 1;  // inputs are reshaped (-1, group) (min along the last axis)
};

struct result {
  double max_abs = 0, rho = 0, rel_1pct = 0;
  tfe::op_stats server, dealer;
};

std::string fmt(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

unsigned newton_recip(unsigned f) {
  unsigned n = 1;
  for (double e = 1.0 / 289; e > std::ldexp(1.0, -static_cast<int>(f)); e *= e) ++n;
  return n;
}
unsigned newton_isqrt(unsigned f) {
  unsigned n = 1;
  for (double e = 0.022259576, g = 1.5 * e * e + 0.5 * e * e * e; g > std::ldexp(1.0, -static_cast<int>(f));
       g = 1.5 * g * g + 0.5 * g * g * g)
    ++n;
  return n;
}

template <class P>
std::vector<spec> specs(const tfe::fixed_point_config& c) {
  const double f = c.frac_bits, I = c.int_bits, ln2 = std::log(2.0), u = c.resolution();
  const double big = std::min(c.bound() - u, std::nextafter(c.bound(), 0.0));
  auto lin = [](double a, double b) {
    return [a, b](std::size_t n) { return xt::xarray<double>(xt::linspace<double>(a, b, n)); };
  };
  auto logs = [big](double a, double b) {
    return [a, b, big](std::size_t n) {
      xt::xarray<double> e = xt::linspace<double>(a, b, n);
      xt::xarray<double> v = xt::exp2(e);
      for (auto& x : v) x = std::min(x, big);
      return v;
    };
  };
  const unsigned nr = newton_recip(c.frac_bits), ni = newton_isqrt(c.frac_bits);
  std::size_t exp_edges = 2;
  for (double k = (std::floor(-f / 4) + 1) * 4; k < I - 0.5; k += 4) ++exp_edges;
  const int j_lo = std::max(1 - static_cast<int>(I), -static_cast<int>(f));
  auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
  std::vector<spec> s;
  s.push_back({"sigmoid", "", "[-40, 40] (whole line)", "absolute", 0, lin(-40, 40), sig, 23, 1, 1});
  s.push_back({"sigmoid_3piece", "", "[-40, 40] (whole line)", "absolute", 0, lin(-40, 40), sig, 2, 1, 1});
  s.push_back({"tanh", "", "[-20, 20] (whole line)", "absolute", 0, lin(-20, 20), [](double v) { return std::tanh(v); },
               23, 1, 1});
  // The piecewise polynomials of approx_smooth.hpp: n + 1 thresholds, 1 + (d − 1) + d (+1) products in
  // 4 product rounds (d = 4).
  auto gelu_ref = [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); };
  auto gelu_tanh_ref = [](double v) {
    return 0.5 * v * (1 + std::tanh(0.79788456080286535588 * (v + 0.044715 * v * v * v)));
  };
  s.push_back({"sigmoid_accurate", "", "[-40, 40] (whole line)", "absolute", 0, lin(-40, 40), sig, 13, 8, 4});
  s.push_back({"tanh_accurate", "", "[-20, 20] (whole line)", "absolute", 0, lin(-20, 20),
               [](double v) { return std::tanh(v); }, 13, 8, 4});
  s.push_back({"erf", "", "[-20, 20] (whole line)", "absolute", 0, lin(-20, 20), [](double v) { return std::erf(v); },
               9, 8, 4});
  s.push_back({"gelu", "", "[-20, 20] (whole line)", "absolute", 0, lin(-20, 20), gelu_ref, 11, 9, 4});
  s.push_back({"gelu_tanh", "", "[-20, 20] (whole line)", "absolute", 0, lin(-20, 20), gelu_tanh_ref, 11, 9, 4});
  s.push_back({"exp", "", "[-f ln2, (I-1/2) ln2) = [" + fmt(-f * ln2) + ", " + fmt((I - 0.5) * ln2) + ")", "relative",
               2, lin(-f * ln2, (I - 0.5) * ln2 - 2 * u), [](double v) { return std::exp(v); }, exp_edges, 8, 4});
  s.push_back({"reciprocal", "", "[2^" + std::to_string(j_lo) + ", 2^I)", "relative", 2, logs(j_lo, I),
               [](double v) { return 1 / v; }, static_cast<std::size_t>(I - 1 - j_lo + 1), 2 * nr + 3, 2 * nr + 1});
  s.push_back({"inv_sqrt", "", "[2^-f, 2^I)", "relative", 2, logs(-f, I), [](double v) { return 1 / std::sqrt(v); },
               static_cast<std::size_t>(f + I), 3 * ni + 3, 2 * ni + 2});
  s.push_back({"sqrt", "", "[2^-f, 2^I)", "relative", 3, logs(-f, I), [](double v) { return std::sqrt(v); },
               static_cast<std::size_t>(f + I), 3 * ni + 3, 2 * ni + 2});
  s.push_back({"log", "", "[2^-f, 2^I)", "absolute", 0, logs(-f, I), [](double v) { return std::log(v); },
               static_cast<std::size_t>(f + I + 1), 8, 4});
  const double r = c.bound() - 1;
  s.push_back({"abs", "", "(-2^I, 2^I)", "exact", 0, lin(-r, r), [](double v) { return std::fabs(v); }, 1, 1, 1});
  s.push_back(
      {"sign", "signum", "(-2^I, 2^I)", "exact", 0, lin(-r, r), [](double v) { return v < 0 ? -1.0 : 1.0; }, 1, 0, 0});
  s.push_back({"clip", "", "(-2^I, 2^I), clip(x, -3.5, 2.25)", "exact", 0, lin(-r, r),
               [](double v) { return std::clamp(v, -3.5, 2.25); }, 2, 2, 1});
  s.push_back({"min", "", "(-2^I, 2^I), min over rows of 8", "exact", 0, lin(-r, r), nullptr, 1, 1, 3, 8});
  return s;
}

template <class P>
tfe::private_tensor<P> apply(const std::string& name, const tfe::private_tensor<P>& x) {
  if (name == "sigmoid") return tfe::sigmoid(x);
  if (name == "sigmoid_3piece") return tfe::sigmoid_3piece(x);
  if (name == "tanh") return tfe::tanh(x);
  if (name == "sigmoid_accurate") return tfe::sigmoid_accurate(x);
  if (name == "tanh_accurate") return tfe::tanh_accurate(x);
  if (name == "erf") return tfe::erf(x);
  if (name == "gelu") return tfe::gelu(x);
  if (name == "gelu_tanh") return tfe::gelu_tanh(x);
  if (name == "exp") return tfe::exp(x);
  if (name == "reciprocal") return tfe::reciprocal(x);
  if (name == "inv_sqrt") return tfe::inv_sqrt(x);
  if (name == "sqrt") return tfe::sqrt(x);
  if (name == "log") return tfe::log(x);
  if (name == "abs") return tfe::abs(x);
  if (name == "sign") return tfe::sign(x);
  if (name == "clip") return tfe::clip(x, -3.5, 2.25);
  if (name == "min") return tfe::min(x, -1);
  throw std::logic_error("unknown function " + name);
}

template <class P>
result measure(const spec& sp, std::size_t points) {
  xt::xarray<double> xs = sp.grid(points);
  if (sp.group > 1) xs = xt::view(xs, xt::range(0, xs.size() / sp.group * sp.group));
  const std::size_t chunk = std::max<std::size_t>(sp.group, 10000 / sp.group * sp.group);
  const std::string tag = sp.tag.empty() ? sp.name : sp.tag;
  tfe::run_options opt;
  opt.session.insecure_deterministic_seed = 11;
  auto rs = tfe::run_local<P>(
      P::default_players(),
      [&](auto& s) {
        result r;
        const auto& c = s.fixed_point();
        const double u = c.resolution();
        for (std::size_t b = 0; b < xs.size(); b += chunk) {
          const std::size_t e = std::min(xs.size(), b + chunk);
          xt::xarray<double> part = xt::view(xs, xt::range(b, e));
          if (sp.group > 1) part.reshape({part.size() / sp.group, sp.group});
          auto x = s.define_private_input("server0", [&] { return part; });
          auto y = s.reveal_to("server0", apply<P>(sp.name, x));
          if (!y) continue;
          for (std::size_t i = 0; i < y->size(); ++i) {
            double want;
            if (sp.group > 1) {
              want = 1e300;
              for (std::size_t k = 0; k < sp.group; ++k)
                want = std::min(want, std::nearbyint(part.data()[i * sp.group + k] / u) * u);
            } else {
              want = sp.ref(std::nearbyint(part.data()[i] / u) * u);
            }
            const double err = std::fabs(y->data()[i] - want);
            r.max_abs = std::max(r.max_abs, err);
            if (sp.metric == "relative") {
              r.rho = std::max(r.rho, std::max(0.0, err - sp.alpha * u) / std::fabs(want));
              const double xq = std::nearbyint(part.data()[i] / u) * u;
              if (sp.name == "exp" && xq >= -10 && xq <= 10 && want >= 200 * u)
                r.rel_1pct = std::max(r.rel_1pct, err / want);
            }
          }
        }
        r.server = s.stats().tag(tag);
        return r;
      },
      opt);
  result out = rs[0];
  if (rs.size() > 2) out.dealer = rs[2].server;
  return out;
}

template <class P>
void emit_line(const std::string& pname, const tfe::fixed_point_config& c, const spec& sp, const result& r,
               std::size_t inputs) {
  const bool pond = pname.rfind("pond", 0) == 0;
  std::ostringstream os;
  os << "{\"bench\":\"approx_errors\",\"function\":\"" << sp.name << "\",\"protocol\":\"" << pname
     << "\",\"frac_bits\":" << c.frac_bits << ",\"int_bits\":" << c.int_bits << ",\"domain\":\"" << sp.domain
     << "\",\"points\":" << inputs << ",\"metric\":\"" << sp.metric << "\",\"max_abs_err\":" << fmt(r.max_abs)
     << ",\"max_abs_err_steps\":" << fmt(r.max_abs * c.scale());
  if (sp.metric == "relative") os << ",\"rho\":" << fmt(r.rho) << ",\"alpha_steps\":" << sp.alpha;
  if (sp.name == "exp") os << ",\"max_rel_err_on_[-10,10]_where_y>=200_steps\":" << fmt(r.rel_1pct);
  os << ",\"sign_thresholds\":" << sp.thresholds << ",\"products\":" << sp.products
     << ",\"product_rounds\":" << sp.product_rounds;
  if (pond) {
    const double calls = static_cast<double>(std::max<std::uint64_t>(1, r.server.calls));
    os << ",\"rounds\":" << fmt(static_cast<double>(r.server.rounds) / calls)
       << ",\"bytes_per_value\":" << fmt(static_cast<double>(r.server.bytes_sent) / static_cast<double>(inputs))
       << ",\"dealer_bytes_per_value\":" << fmt(static_cast<double>(r.dealer.bytes_sent) / static_cast<double>(inputs));
  }
  os << "}";
  std::cout << os.str() << std::endl;
}

template <class P>
void softmax_lines(const std::string& pname, std::size_t rows) {
  for (auto [n, spread] : {std::pair<std::size_t, double>{10, 8.0}, {10, 40.0}, {100, 8.0}}) {
    std::mt19937_64 gen(3);
    std::uniform_real_distribution<double> ud(-spread, spread);
    xt::xarray<double> xs = xt::zeros<double>({rows, n});
    for (auto& v : xs) v = ud(gen);
    tfe::run_options opt;
    opt.session.insecure_deterministic_seed = 11;
    auto rs = tfe::run_local<P>(
        P::default_players(),
        [&](auto& s) {
          result r;
          const double u = s.fixed_point().resolution();
          auto x = s.define_private_input("server0", [&] { return xs; });
          auto y = s.reveal_to("server0", tfe::softmax(x));
          if (y)
            for (std::size_t i = 0; i < rows; ++i) {
              double mx = -1e300, tot = 0;
              for (std::size_t j = 0; j < n; ++j) mx = std::max(mx, std::nearbyint(xs(i, j) / u) * u);
              for (std::size_t j = 0; j < n; ++j) tot += std::exp(std::nearbyint(xs(i, j) / u) * u - mx);
              for (std::size_t j = 0; j < n; ++j)
                r.max_abs =
                    std::max(r.max_abs, std::fabs((*y)(i, j) - std::exp(std::nearbyint(xs(i, j) / u) * u - mx) / tot));
            }
          r.server = s.stats().tag("softmax");
          return r;
        },
        opt);
    result r = rs[0];
    if (rs.size() > 2) r.dealer = rs[2].server;
    const auto c = tfe::fixed_point_config::preset<typename P::ring>();
    unsigned levels = 0;
    while ((std::size_t(1) << levels) < n) ++levels;
    spec sp{"softmax",
            "",
            "rows of " + std::to_string(n) + " logits uniform in [-" + fmt(spread) + ", " + fmt(spread) + "]",
            "absolute",
            0,
            nullptr,
            nullptr,
            0,
            0,
            0};
    // per logit: the max tournament (< 1 sign test and product), exp's thresholds on x − max ≥ −f·ln2,
    // the reciprocal's ⌊log2 n⌋ per row
    std::size_t exp_edges = 1;
    for (double k = (std::floor(-static_cast<double>(c.frac_bits) / 4) + 1) * 4; k < 0; k += 4) ++exp_edges;
    sp.thresholds = exp_edges + 1;
    sp.products = 8 + 1 + 1;
    sp.product_rounds = levels + 4 + 2 * newton_recip(c.frac_bits) + 1 + 1;
    emit_line<P>(pname, c, sp, r, rows * n);
  }
}

template <class P>
void run_protocol(const std::string& pname, std::size_t points) {
  const auto c = tfe::fixed_point_config::preset<typename P::ring>();
  for (const auto& sp : specs<P>(c)) {
    auto r = measure<P>(sp, points);
    emit_line<P>(pname, c, sp, r, sp.group > 1 ? points / sp.group * sp.group : points);
  }
  softmax_lines<P>(pname, points / 100);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t points = 100001;
  std::string protocols = "plain64,plain128,pond64,pond128";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--points")
      points = std::stoul(argv[i + 1]);
    else if (a == "--protocol")
      protocols = argv[i + 1];
    else {
      std::cerr << "usage: approx_errors [--points N] [--protocol plain64,plain128,pond64,pond128]\n";
      return 2;
    }
  }
  auto wants = [&](const std::string& p) { return ("," + protocols + ",").find("," + p + ",") != std::string::npos; };
  if (wants("plain64")) run_protocol<tfe::plain<tfe::ring64>>("plain<ring64>", points);
  if (wants("plain128")) run_protocol<tfe::plain<tfe::ring128>>("plain<ring128>", points);
  if (wants("pond64")) run_protocol<tfe::pond<tfe::ring64>>("pond<ring64>", points);
  if (wants("pond128")) run_protocol<tfe::pond<tfe::ring128>>("pond<ring128>", points);
}
