// tfe/detail/xtensor.hpp: the one place that includes xtensor (Debian 12 ships 0.24.3, flat paths).
#pragma once

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xindex_view.hpp>
#include <xtensor/xio.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xpad.hpp>
#include <xtensor/xreducer.hpp>
#include <xtensor/xslice.hpp>
#include <xtensor/xsort.hpp>
#include <xtensor/xstrided_view.hpp>
#include <xtensor/xview.hpp>

#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

namespace tfe {

/// Dynamic shapes everywhere: tensors in tfe are xt::xarray with a std::vector shape.
using shape_t = std::vector<std::size_t>;

inline std::string shape_str(const shape_t& s) {
  std::ostringstream os;
  os << '(';
  for (std::size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  if (s.size() == 1) os << ',';
  os << ')';
  return os.str();
}

template <class E>
shape_t shape_of(const E& e) {
  return shape_t(e.shape().begin(), e.shape().end());
}

inline std::size_t shape_size(const shape_t& s) {
  std::size_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

}  // namespace tfe
