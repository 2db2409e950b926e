// tfe/tensor.hpp: the tensor types a program computes with: private (secret-shared) and public.
//
// private_tensor<P> is protocol-generic: it holds this player's share components ("parts") of a
// value in P's fixed-point encoding, plus the shape, which every player knows (shapes are public).
// What the parts mean is the protocol's business: plain keeps the value itself at the trusted player,
// pond keeps one additive share per server, aby3 two replicated shares per server. Players that hold
// no share have no parts and skip local work, but run every op (eager SPMD).
// Because every share component is an additive piece of the value, linear and structural ops
// (add, reshape, slice, concat, sum, im2col, ...) apply to each part independently; only products,
// truncation, comparisons and reveals need the protocol.
//
// public_tensor<P> is a value every player knows, already encoded in the ring.
#pragma once

#include "tfe/detail/xtensor.hpp"
#include "tfe/ring/fixed_point.hpp"
#include "tfe/ring/ring_tensor.hpp"

#include <vector>

namespace tfe {

template <class P>
class session;

template <class P>
class private_tensor {
 public:
  using protocol = P;
  using ring = typename P::ring;
  using parts_type = std::vector<ring_tensor<ring>>;

  private_tensor() = default;
  private_tensor(session<P>& s, shape_t shape, parts_type parts)
      : m_session(&s), m_shape(std::move(shape)), m_parts(std::move(parts)) {}

  session<P>& sess() const {
    TFE_ENFORCE(m_session != nullptr, protocol_error, "use of an empty private_tensor");
    return *m_session;
  }
  bool empty() const { return m_session == nullptr; }
  const shape_t& shape() const { return m_shape; }
  std::size_t ndim() const { return m_shape.size(); }
  std::size_t size() const { return shape_size(m_shape); }
  std::size_t dim(std::size_t axis) const {
    TFE_ENFORCE(axis < m_shape.size(), shape_error, "axis ", axis, " out of range for shape ", shape_str(m_shape));
    return m_shape[axis];
  }
  /// This player's share components (empty at players that hold no share).
  const parts_type& parts() const { return m_parts; }
  parts_type& parts() { return m_parts; }

 private:
  session<P>* m_session = nullptr;
  shape_t m_shape;
  parts_type m_parts;
};

template <class P>
class public_tensor {
 public:
  using protocol = P;
  using ring = typename P::ring;

  public_tensor() = default;
  public_tensor(session<P>& s, ring_tensor<ring> value) : m_session(&s), m_value(std::move(value)) {}

  session<P>& sess() const {
    TFE_ENFORCE(m_session != nullptr, protocol_error, "use of an empty public_tensor");
    return *m_session;
  }
  shape_t shape() const { return shape_of(m_value); }
  std::size_t ndim() const { return m_value.dimension(); }
  std::size_t size() const { return m_value.size(); }
  /// The encoded value (known to every player).
  const ring_tensor<ring>& value() const { return m_value; }
  /// The decoded real values.
  xt::xarray<double> decode() const { return tfe::decode(m_value, sess().fixed_point()); }

 private:
  session<P>* m_session = nullptr;
  ring_tensor<ring> m_value;
};

/// Trait: is T one of tfe's tensor types?
template <class T>
inline constexpr bool is_private_tensor_v = false;
template <class P>
inline constexpr bool is_private_tensor_v<private_tensor<P>> = true;
template <class T>
inline constexpr bool is_public_tensor_v = false;
template <class P>
inline constexpr bool is_public_tensor_v<public_tensor<P>> = true;

}  // namespace tfe
