// tfe/graph/op_table.hpp: the ONNX ops tfe runs, the attributes each accepts, and the dispatch.
//
// check_supported(graph) runs when a graph is loaded, before any computation: an op type or an
// attribute that is not in this table fails there with the op type, the node's name, the opset and
// the list of what is supported. The table is the single list docs/onnx.md is checked against
// (tests/test_graph_ops.cpp). The kernels are in kernels_*.hpp; their costs and errors are stated there.
// Internal ops (domain "tfe."): tfe.ScaleShift, the owner-folded BatchNormalization (graph/model.hpp).
#pragma once

#include "tfe/graph/kernels_resample.hpp"

#include <array>
#include <set>
#include <string_view>

namespace tfe::graph {

struct op_spec {
  std::string_view op_type;
  std::string_view attributes;  // space-separated
};

inline constexpr std::array<op_spec, 103> supported_ops{{
    {"Abs", ""},
    {"Add", "axis broadcast"},
    {"And", ""},
    {"ArgMax", "axis keepdims select_last_index"},
    {"ArgMin", "axis keepdims select_last_index"},
    {"AveragePool", "auto_pad ceil_mode count_include_pad kernel_shape pads strides dilations"},
    {"BatchNormalization", "epsilon is_test momentum training_mode spatial"},
    {"Cast", "to saturate"},
    {"CastLike", "saturate"},
    {"Ceil", ""},
    {"Celu", "alpha"},
    {"Clip", "min max"},
    {"Concat", "axis"},
    {"Constant", "value"},
    {"ConstantOfShape", "value"},
    {"Conv", "auto_pad dilations group kernel_shape pads strides"},
    {"ConvTranspose", "auto_pad dilations group kernel_shape output_padding output_shape pads strides"},
    {"CumSum", "exclusive reverse"},
    {"DepthToSpace", "blocksize mode"},
    {"Div", "axis broadcast"},
    {"Dropout", "is_test ratio seed"},
    {"Elu", "alpha"},
    {"Equal", ""},
    {"Erf", ""},
    {"Exp", ""},
    {"Expand", ""},
    {"EyeLike", "dtype k"},
    {"Flatten", "axis"},
    {"Floor", ""},
    {"Gather", "axis"},
    {"GatherElements", "axis"},
    {"Gelu", "approximate"},
    {"Gemm", "alpha beta broadcast transA transB"},
    {"GlobalAveragePool", ""},
    {"GlobalMaxPool", ""},
    {"Greater", ""},
    {"GreaterOrEqual", ""},
    {"Hardmax", "axis"},
    {"HardSigmoid", "alpha beta"},
    {"HardSwish", ""},
    {"Identity", ""},
    {"InstanceNormalization", "epsilon"},
    {"LayerNormalization", "axis epsilon stash_type"},
    {"LeakyRelu", "alpha"},
    {"Less", ""},
    {"LessOrEqual", ""},
    {"Log", ""},
    {"LogSoftmax", "axis"},
    {"MatMul", ""},
    {"Max", ""},
    {"MaxPool", "auto_pad ceil_mode dilations kernel_shape pads storage_order strides"},
    {"Mean", ""},
    {"MeanVarianceNormalization", "axes"},
    {"Min", ""},
    {"Mul", "axis broadcast"},
    {"Neg", ""},
    {"NegativeLogLikelihoodLoss", "ignore_index reduction"},
    {"Not", ""},
    {"Or", ""},
    {"Pad", "mode pads value"},
    {"Pow", ""},
    {"PRelu", ""},
    {"Range", ""},
    {"Reciprocal", ""},
    {"ReduceL2", "axes keepdims noop_with_empty_axes"},
    {"ReduceLogSum", "axes keepdims noop_with_empty_axes"},
    {"ReduceLogSumExp", "axes keepdims noop_with_empty_axes"},
    {"ReduceMax", "axes keepdims noop_with_empty_axes"},
    {"ReduceMean", "axes keepdims noop_with_empty_axes"},
    {"ReduceMin", "axes keepdims noop_with_empty_axes"},
    {"ReduceSum", "axes keepdims noop_with_empty_axes"},
    {"ReduceSumSquare", "axes keepdims noop_with_empty_axes"},
    {"Relu", ""},
    {"Reshape", "allowzero shape"},
    {"Resize",
     "antialias axes coordinate_transformation_mode cubic_coeff_a exclude_outside extrapolation_value "
     "keep_aspect_ratio_policy mode nearest_mode"},
    {"Round", ""},
    {"Selu", "alpha gamma"},
    {"Shape", "end start"},
    {"Shrink", "bias lambd"},
    {"Sigmoid", ""},
    {"Sign", ""},
    {"Size", ""},
    {"Slice", "axes ends starts"},
    {"Softmax", "axis"},
    {"SoftmaxCrossEntropyLoss", "ignore_index reduction"},
    {"Softplus", ""},
    {"Softsign", ""},
    {"SpaceToDepth", "blocksize"},
    {"Split", "axis num_outputs split"},
    {"Sqrt", ""},
    {"Squeeze", "axes"},
    {"Sub", "axis broadcast"},
    {"Sum", ""},
    {"Tanh", ""},
    {"ThresholdedRelu", "alpha"},
    {"Tile", ""},
    {"Transpose", "perm"},
    {"Trilu", "upper"},
    {"Unsqueeze", "axes"},
    {"Upsample", "mode scales"},
    {"Where", ""},
    {"Xor", ""},
    {"tfe.ScaleShift", ""},
}};

inline const op_spec* find_op(std::string_view op_type) {
  for (const auto& s : supported_ops)
    if (s.op_type == op_type) return &s;
  return nullptr;
}

inline std::string supported_op_list() {
  std::string s;
  for (const auto& o : supported_ops)
    if (o.op_type.substr(0, 4) != "tfe.") s += (s.empty() ? "" : ", ") + std::string(o.op_type);
  return s;
}

inline bool accepts_attribute(const op_spec& spec, std::string_view a) {
  std::string_view list = spec.attributes;
  while (!list.empty()) {
    const auto sp = list.find(' ');
    if (list.substr(0, sp) == a) return true;
    if (sp == std::string_view::npos) break;
    list.remove_prefix(sp + 1);
  }
  return false;
}

/// Every op type and attribute of g is supported and every input is defined before it is used;
/// config_error naming the source, the node, its op type and the opset otherwise.
inline void check_supported(const graph& g) {
  std::set<std::string> defined;
  for (const auto& t : g.inputs) defined.insert(t.name);
  for (const auto& t : g.weights) defined.insert(t.name);
  for (const auto& [name, a] : g.constants) defined.insert(name);
  const std::string at = g.source.empty() ? std::string("graph") : g.source;
  for (const auto& n : g.nodes) {
    const op_spec* spec = find_op(n.op_type);
    if (!spec)
      throw config_error(at + ": " + n.where() + ", opset " + std::to_string(g.opset) + ": op type '" + n.op_type +
                         "' is not supported; supported: " + supported_op_list());
    for (const auto& [a, v] : n.attributes)
      TFE_ENFORCE(accepts_attribute(*spec, a), config_error, at, ": ", n.where(), ", opset ", g.opset, ": attribute '",
                  a, "' is not supported (supported for ", n.op_type, ": ",
                  spec->attributes.empty() ? std::string_view("none") : spec->attributes, ")");
    for (const auto& i : n.inputs)
      TFE_ENFORCE(i.empty() || defined.count(i), config_error, at, ": ", n.where(), ": input '", i,
                  "' is not defined before the node (not a graph input, weight, constant or earlier output)");
    for (const auto& o : n.outputs)
      if (!o.empty()) defined.insert(o);
  }
  for (const auto& o : g.outputs)
    TFE_ENFORCE(defined.count(o), config_error, at, ": graph output '", o, "' is not computed by any node");
}

namespace gd = ::tfe::graph::detail;

/// Runs one node's kernel.
template <protocol P>
std::vector<value<P>> run_kernel(op_context<P>& c) {
  namespace k = kernels;
  const std::string& t = c.n.op_type;
  using k::cmp;
  using k::reduction;
  auto un = [&](auto f, auto plain) { return k::unary(c, f, plain); };
  // clang-format off
  if (t == "Add") return k::add(c);
  if (t == "Sub") return k::sub(c);
  if (t == "Mul") return k::mul(c);
  if (t == "Div") return k::div(c);
  if (t == "Neg") return k::neg(c);
  if (t == "Sum") return k::sum_n(c, false);
  if (t == "Mean") return k::sum_n(c, true);
  if (t == "Pow") return k::pow(c);
  if (t == "Abs") return un([](const auto& x) { return tfe::abs(x); }, [](const auto& d) { return xt::abs(d); });
  if (t == "Sign") return un([](const auto& x) { return k::sign_onnx(x); }, [](const auto& d) { return xt::sign(d); });
  if (t == "Relu") return un([](const auto& x) { return relu(x); }, [](const auto& d) { return xt::maximum(d, 0.0); });
  if (t == "Sigmoid") return un([](const auto& x) { return tfe::sigmoid_accurate(x); }, [](const auto& d) { return 1.0 / (1.0 + xt::exp(-d)); });
  if (t == "Tanh") return un([](const auto& x) { return tfe::tanh_accurate(x); }, [](const auto& d) { return xt::tanh(d); });
  if (t == "Exp") return un([](const auto& x) { return tfe::exp(x); }, [](const auto& d) { return xt::exp(d); });
  if (t == "Log") return un([](const auto& x) { return tfe::log(x); }, [](const auto& d) { return xt::log(d); });
  if (t == "Sqrt") return un([](const auto& x) { return tfe::sqrt(x); }, [](const auto& d) { return xt::sqrt(d); });
  if (t == "Reciprocal") return un([](const auto& x) { return k::reciprocal_signed(x); }, [](const auto& d) { return 1.0 / d; });
  if (t == "Erf") return un([](const auto& x) { return tfe::erf(x); }, [](const auto& d) { return xt::erf(d); });
  if (t == "Gelu") return k::gelu_op(c);
  if (t == "Softplus") return un([](const auto& x) { return k::softplus(x); }, [](const auto& d) { return xt::log1p(xt::exp(d)); });
  if (t == "Softsign") return un([](const auto& x) { return x * reciprocal(tfe::abs(x) + 1.0); }, [](const auto& d) { return d / (1.0 + xt::abs(d)); });
  if (t == "LeakyRelu") {
    const double a = c.n.get_float("alpha", 0.01);
    return un([a](const auto& x) { return k::leaky_relu(x, a); }, [a](const auto& d) { return xt::where(d >= 0.0, d, d * a); });
  }
  if (t == "ThresholdedRelu") {
    const double a = c.n.get_float("alpha", 1.0);
    return un([a](const auto& x) { return select(greater(x, a), x, tfe::detail::constant_like(x, 0.0)); }, [a](const auto& d) { return xt::where(d > a, d, 0.0); });
  }
  if (t == "Elu" || t == "Selu") {
    const bool selu = t == "Selu";
    const double a = c.n.get_float("alpha", selu ? 1.67326319217681884765625 : 1.0);
    const double g = selu ? c.n.get_float("gamma", 1.05070102214813232421875) : 1.0;
    return un([a, g](const auto& x) { return k::elu(x, a) * g; }, [a, g](const auto& d) { return g * xt::where(d >= 0.0, d, a * (xt::exp(d) - 1.0)); });
  }
  if (t == "HardSigmoid" || t == "HardSwish") {
    const bool swish = t == "HardSwish";
    const double a = swish ? 1.0 / 6 : c.n.get_float("alpha", 0.2), b = swish ? 0.5 : c.n.get_float("beta", 0.5);
    return un([=](const auto& x) { return swish ? x * k::hard_sigmoid(x, a, b) : k::hard_sigmoid(x, a, b); },
              [=](const auto& d) { return xt::eval((swish ? d : xt::ones_like(d)) * xt::clip(d * a + b, 0.0, 1.0)); });
  }
  if (t == "PRelu") {
    auto x = c.priv(0);
    auto r = relu(x);
    value<P> sl = c.at(1);
    const shape_t ss = sl.shape();
    if (ss.size() == 1 && x.ndim() > 2 && ss[0] == x.shape()[1] && ss[0] != x.shape().back()) {
      shape_t t(x.ndim() - 1, 1);  // a per-channel slope (C,) becomes (C, 1, ..., 1)
      t[0] = ss[0];
      sl = gd::apply_structural(sl, [&](const auto& a) { return gd::reshaped(a, t); });
    }
    return c.out(r + (sl.is_public() ? gd::mul_public(x - r, *sl.pub) : (x - r) * *sl.priv));
  }
  if (t == "Celu") {
    const double a = c.n.get_float("alpha", 1.0);
    return un([a](const auto& x) { return k::elu(x * (1.0 / a), 1.0) * a; }, [a](const auto& d) { return xt::maximum(d, 0.0) + xt::minimum(0.0, a * (xt::exp(d / a) - 1.0)); });
  }
  if (t == "Shrink") {
    const double l = c.n.get_float("lambd", 0.5), b = c.n.get_float("bias", 0.0);
    return un([=](const auto& x) { return select(less(x, -l), x + b, tfe::detail::constant_like(x, 0.0)) + select(greater(x, l), x - b, tfe::detail::constant_like(x, 0.0)); },
              [=](const auto& d) { return xt::where(d < -l, d + b, xt::where(d > l, d - b, 0.0)); });
  }
  if (t == "CastLike") {
    const bool integer = c.at(1).is_public() ? c.at(1).pub->integer : c.at(1).priv_integer;
    node n = c.n;
    n.attributes["to"] = attribute{attribute::kind::integer, integer ? 7 : 1, 0, {}, {}, {}, {}};
    op_context<P> c2{c.s, n, {c.in[0]}, c.opset};
    return k::cast(c2);
  }
  if (t == "Hardmax") return k::hardmax(c);
  if (t == "NegativeLogLikelihoodLoss") return k::nll_loss(c, false);
  if (t == "SoftmaxCrossEntropyLoss") return k::nll_loss(c, true);
  if (t == "Trilu") return k::trilu(c);
  if (t == "CumSum") return k::cumsum(c);
  if (t == "GatherElements") return k::gather_elements(c);
  if (t == "EyeLike") return k::eye_like(c);
  if (t == "MeanVarianceNormalization") return k::mean_variance_norm(c);
  if (t == "Resize") return k::resize(c, false);
  if (t == "Upsample") return k::resize(c, true);
  if (t == "DepthToSpace") return k::depth_space(c, true);
  if (t == "SpaceToDepth") return k::depth_space(c, false);
  if (t == "ReduceLogSum") return k::reduce(c, reduction::log_sum);
  if (t == "ReduceLogSumExp") return k::reduce(c, reduction::log_sum_exp);
  if (t == "Clip") return k::clip_op(c);
  if (t == "Max") return k::extremum(c, true);
  if (t == "Min") return k::extremum(c, false);
  if (t == "Equal") return k::compare(c, cmp::eq);
  if (t == "Less") return k::compare(c, cmp::lt);
  if (t == "Greater") return k::compare(c, cmp::gt);
  if (t == "LessOrEqual") return k::compare(c, cmp::le);
  if (t == "GreaterOrEqual") return k::compare(c, cmp::ge);
  if (t == "Not") return k::logical_not(c);
  if (t == "And") return k::logical(c, 0);
  if (t == "Or") return k::logical(c, 1);
  if (t == "Xor") return k::logical(c, 2);
  if (t == "Where") return k::where(c);
  if (t == "Identity") return k::identity(c);
  if (t == "Dropout") return k::dropout(c);
  if (t == "Cast") return k::cast(c);
  if (t == "Floor") return k::rounding(c, 0);
  if (t == "Ceil") return k::rounding(c, 1);
  if (t == "Round") return k::rounding(c, 2);
  if (t == "Shape") return k::shape_op(c);
  if (t == "Size") return k::size_op(c);
  if (t == "Reshape") return k::reshape_op(c);
  if (t == "Flatten") return k::flatten(c);
  if (t == "Squeeze") return k::squeeze(c, false);
  if (t == "Unsqueeze") return k::squeeze(c, true);
  if (t == "Transpose") return k::transpose_op(c);
  if (t == "Concat") return k::concat_op(c);
  if (t == "Split") return k::split_op(c);
  if (t == "Slice") return k::slice_op(c);
  if (t == "Gather") return k::gather(c);
  if (t == "Expand") return k::expand(c);
  if (t == "Tile") return k::tile(c);
  if (t == "Pad") return k::pad_op(c);
  if (t == "ConstantOfShape") return k::constant_of_shape(c);
  if (t == "Range") return k::range(c);
  if (t == "Constant") return k::constant(c);
  if (t == "MatMul") return k::matmul_op(c);
  if (t == "Gemm") return k::gemm(c);
  if (t == "Conv") return k::conv(c);
  if (t == "ConvTranspose") return k::conv_transpose(c);
  if (t == "MaxPool") return k::pool(c, true);
  if (t == "AveragePool") return k::pool(c, false);
  if (t == "GlobalAveragePool") return k::global_pool(c, false);
  if (t == "GlobalMaxPool") return k::global_pool(c, true);
  if (t == "BatchNormalization") return k::batch_norm(c);
  if (t == "tfe.ScaleShift") return k::scale_shift(c);
  if (t == "LayerNormalization") return k::layer_norm(c);
  if (t == "InstanceNormalization") return k::instance_norm(c);
  if (t == "Softmax") return k::softmax_op(c, false);
  if (t == "LogSoftmax") return k::softmax_op(c, true);
  if (t == "ReduceSum") return k::reduce(c, reduction::sum);
  if (t == "ReduceMean") return k::reduce(c, reduction::mean);
  if (t == "ReduceMax") return k::reduce(c, reduction::max);
  if (t == "ReduceMin") return k::reduce(c, reduction::min);
  if (t == "ReduceSumSquare") return k::reduce(c, reduction::sum_square);
  if (t == "ReduceL2") return k::reduce(c, reduction::l2);
  if (t == "ArgMax") return k::arg_extremum(c, true);
  if (t == "ArgMin") return k::arg_extremum(c, false);
  // clang-format on
  throw config_error(c.n.where() + ": op type '" + t + "' is not supported; supported: " + supported_op_list());
}

}  // namespace tfe::graph
