// tfe/net/frame.hpp: the wire format of one message: ring tensors serialized with their shape.
//
// A frame is a byte vector:
//   [u32 magic "TFE1"] [u8 kind] [u8 element bytes] [u16 ndim] [u64 dim]*ndim [elements, little-endian]
// kind 1 = ring tensor, kind 2 = raw bytes (seeds, handshakes). Transports that need it (TCP) add a
// u64 length prefix in front of the frame; the in-memory network moves the vector as it is.
// Decoding checks everything (magic, kind, element width, that the declared shape matches the length)
// and throws channel_error naming the problem: a malformed frame must never cause a crash or an
// unbounded allocation. The declared shape's element count is computed with checked_shape_size: no
// overflow, every dimension and the product at most max_tensor_elements (2^32), else channel_error
// naming the peer.
#pragma once

#include "tfe/config.hpp"
#include "tfe/detail/shape_limits.hpp"
#include "tfe/detail/xtensor.hpp"
#include "tfe/ring/ring_tensor.hpp"
#include "tfe/ring/ring_traits.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <utility>
#include <vector>

namespace tfe {

/// One message's bytes (see the header comment for the layout): a growable byte buffer with the
/// subset of std::vector's interface that the transports and tests use. Its blocks are ring_allocator's
/// (a frame of 1 MiB or more is its own huge-page mapping, not a fresh glibc mmap that faults once per
/// 4 KiB), and resize() leaves new bytes uninitialized instead of zeroing them: every writer of a frame
/// writes all of it (the header, then the payload, padding included) before it is sent or read, as it
/// must for a reused spare frame, whose old bytes resize() never cleared either; a received frame is
/// written by the transport in full. A frame of megabytes is thus written once, not zeroed and then
/// written. Not std::vector with a custom allocator: that constructs, moves and destroys byte by byte
/// through the allocator, which unoptimized (the test build) was 27-57 % of the protocol tests' time.
/// Growth as std::vector's (resize past the capacity: at least double the size), copies are deep and
/// exactly sized, a moved-from frame is empty. Not counted by the player's memory meter
/// (ring/memory_meter.hpp): a frame is made by its sender and freed by its receiver, on another
/// player's thread.
class frame {
 public:
  using value_type = std::uint8_t;
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  using reference = std::uint8_t&;
  using const_reference = const std::uint8_t&;
  using pointer = std::uint8_t*;
  using const_pointer = const std::uint8_t*;
  using iterator = std::uint8_t*;
  using const_iterator = const std::uint8_t*;

  frame() noexcept = default;
  /// n uninitialized bytes.
  explicit frame(std::size_t n) { resize(n); }
  frame(std::size_t n, std::uint8_t value) { resize(n, value); }
  template <std::forward_iterator It>
  frame(It first, It last) {
    assign(first, last);
  }
  frame(const frame& other) { assign(other.begin(), other.end()); }
  frame(frame&& other) noexcept
      : m_data(std::exchange(other.m_data, nullptr)),
        m_size(std::exchange(other.m_size, 0)),
        m_capacity(std::exchange(other.m_capacity, 0)) {}
  frame& operator=(const frame& other) {
    if (this != &other) assign(other.begin(), other.end());
    return *this;
  }
  frame& operator=(frame&& other) noexcept {
    frame(std::move(other)).swap(*this);
    return *this;
  }
  ~frame() { release(); }

  std::uint8_t* data() noexcept { return m_data; }
  const std::uint8_t* data() const noexcept { return m_data; }
  std::size_t size() const noexcept { return m_size; }
  std::size_t capacity() const noexcept { return m_capacity; }
  bool empty() const noexcept { return m_size == 0; }
  iterator begin() noexcept { return m_data; }
  iterator end() noexcept { return m_data + m_size; }
  const_iterator begin() const noexcept { return m_data; }
  const_iterator end() const noexcept { return m_data + m_size; }
  std::uint8_t& operator[](std::size_t i) noexcept { return m_data[i]; }
  const std::uint8_t& operator[](std::size_t i) const noexcept { return m_data[i]; }
  std::uint8_t& back() noexcept { return m_data[m_size - 1]; }

  /// New bytes are uninitialized (see the class comment).
  void resize(std::size_t n) {
    if (n > m_capacity) reallocate(std::max(n, 2 * m_size));
    m_size = n;
  }
  void resize(std::size_t n, std::uint8_t value) {
    const std::size_t old = m_size;
    resize(n);
    if (n > old) std::memset(m_data + old, value, n - old);
  }
  void clear() noexcept { m_size = 0; }
  void push_back(std::uint8_t v) {
    if (m_size == m_capacity) reallocate(std::max<std::size_t>(1, 2 * m_size));
    m_data[m_size++] = v;
  }
  template <std::forward_iterator It>
  void assign(It first, It last) {
    const auto n = static_cast<std::size_t>(std::distance(first, last));
    m_size = 0;  // nothing to keep
    if (n > m_capacity) reallocate(n);
    m_size = n;
    std::copy(first, last, m_data);
  }
  void swap(frame& other) noexcept {
    std::swap(m_data, other.m_data);
    std::swap(m_size, other.m_size);
    std::swap(m_capacity, other.m_capacity);
  }
  friend bool operator==(const frame& a, const frame& b) noexcept {
    return a.m_size == b.m_size && (a.m_size == 0 || std::memcmp(a.m_data, b.m_data, a.m_size) == 0);
  }

 private:
  /// ring_allocator's block functions (protected there: frames are not metered).
  struct blocks : ring_allocator<std::uint8_t> {
    using ring_allocator<std::uint8_t>::allocate_block;
    using ring_allocator<std::uint8_t>::deallocate_block;
  };
  void reallocate(std::size_t capacity) {
    std::uint8_t* fresh = blocks::allocate_block(capacity);
    if (m_size != 0) std::memcpy(fresh, m_data, m_size);
    release();
    m_data = fresh;
    m_capacity = capacity;
  }
  void release() noexcept {
    if (m_data) blocks::deallocate_block(m_data, m_capacity);
    m_data = nullptr;
    m_capacity = 0;
  }

  std::uint8_t* m_data = nullptr;
  std::size_t m_size = 0;
  std::size_t m_capacity = 0;
};

/// Frames kept for reuse, bounded: at most max_frames, max_bytes of capacity in all. put() keeps a
/// frame and hands every frame that has to go (the oldest first, or the new one when it alone exceeds
/// max_bytes) to `gone`; take() hands out the smallest kept frame of at least `capacity`, or an empty
/// frame. The channel's spares and the in-memory network's shared pool are both one of these.
class frame_pool {
 public:
  frame_pool(std::size_t max_frames, std::size_t max_bytes) : m_max_frames(max_frames), m_max_bytes(max_bytes) {}

  template <class Gone>
  void put(frame&& f, Gone&& gone) {
    if (f.capacity() > m_max_bytes) return gone(std::move(f));
    while (!m_frames.empty() && (m_frames.size() >= m_max_frames || m_bytes + f.capacity() > m_max_bytes)) {
      m_bytes -= m_frames.front().capacity();
      gone(std::move(m_frames.front()));
      m_frames.erase(m_frames.begin());
    }
    m_bytes += f.capacity();
    m_frames.push_back(std::move(f));
  }

  frame take(std::size_t capacity) {
    std::size_t best = m_frames.size();
    for (std::size_t i = 0; i < m_frames.size(); ++i)
      if (m_frames[i].capacity() >= capacity &&
          (best == m_frames.size() || m_frames[i].capacity() < m_frames[best].capacity()))
        best = i;
    if (best == m_frames.size()) return {};
    frame f = std::move(m_frames[best]);
    m_frames.erase(m_frames.begin() + static_cast<std::ptrdiff_t>(best));
    m_bytes -= f.capacity();
    return f;
  }

 private:
  std::size_t m_max_frames, m_max_bytes;
  std::vector<frame> m_frames;
  std::size_t m_bytes = 0;
};

namespace detail {

inline constexpr std::uint32_t frame_magic = 0x31454654;  // "TFE1" little-endian
inline constexpr std::uint8_t frame_kind_tensor = 1;
inline constexpr std::uint8_t frame_kind_bytes = 2;
inline constexpr std::size_t frame_fixed_header = 8;  // magic + kind + width + ndim

inline void put_u64(frame& f, std::size_t pos, std::uint64_t v) { std::memcpy(f.data() + pos, &v, 8); }
inline std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline void write_header(frame& f, std::uint8_t kind, std::uint8_t width, const shape_t& shape) {
  std::uint32_t magic = frame_magic;
  std::memcpy(f.data(), &magic, 4);
  f[4] = kind;
  f[5] = width;
  auto nd = static_cast<std::uint16_t>(shape.size());
  std::memcpy(f.data() + 6, &nd, 2);
  for (std::size_t i = 0; i < shape.size(); ++i) put_u64(f, frame_fixed_header + 8 * i, shape[i]);
}

}  // namespace detail

/// Bytes of a frame that are not payload (header and shape), for a tensor of `ndim` dimensions.
inline std::size_t frame_header_bytes(std::size_t ndim) { return detail::frame_fixed_header + 8 * ndim; }

/// Serializes a ring tensor with its shape into `f`, reusing its memory (a frame received earlier:
/// its pages are mapped already, so a large send costs no page faults).
template <class R>
void serialize_tensor_into(frame& f, const ring_tensor<R>& t) {
  using T = ring_traits<R>;
  shape_t shape = shape_of(t);
  TFE_ENFORCE(shape.size() < 65536, channel_error, "cannot serialize a tensor with ", shape.size(), " dimensions");
  std::size_t head = frame_header_bytes(shape.size());
  f.resize(head + t.size() * T::bytes);
  detail::write_header(f, detail::frame_kind_tensor, static_cast<std::uint8_t>(T::bytes), shape);
  std::uint8_t* out = f.data() + head;
  if constexpr (std::is_trivially_copyable_v<R>) {
    if (t.size() != 0) std::memcpy(out, t.data(), t.size() * T::bytes);
  } else {
    std::size_t i = 0;
    for (const auto& v : t) T::store(v, out + (i++) * T::bytes);
  }
}

/// Serializes a ring tensor with its shape.
template <class R>
frame serialize_tensor(const ring_tensor<R>& t) {
  frame f;
  serialize_tensor_into(f, t);
  return f;
}

/// Serializes raw bytes (seeds, handshakes).
inline frame serialize_bytes(const std::uint8_t* data, std::size_t n) {
  std::size_t head = frame_header_bytes(1);
  frame f(head + n);
  detail::write_header(f, detail::frame_kind_bytes, 1, shape_t{n});
  if (n) std::memcpy(f.data() + head, data, n);
  return f;
}

namespace detail {

/// Validates the header and returns (shape, payload offset); throws channel_error when malformed.
inline std::pair<shape_t, std::size_t> parse_header(const frame& f, std::uint8_t want_kind, std::size_t want_width,
                                                    const std::string& from) {
  TFE_ENFORCE(f.size() >= frame_fixed_header, channel_error, "malformed frame from '", from, "': ", f.size(),
              " bytes is shorter than a header");
  std::uint32_t magic;
  std::memcpy(&magic, f.data(), 4);
  TFE_ENFORCE(magic == frame_magic, channel_error, "malformed frame from '", from, "': bad magic number");
  TFE_ENFORCE(f[4] == want_kind, channel_error, "unexpected frame from '", from, "': kind ", int(f[4]), " where kind ",
              int(want_kind), (want_kind == frame_kind_tensor ? " (ring tensor)" : " (bytes)"), " was expected");
  TFE_ENFORCE(f[5] == want_width, channel_error, "unexpected frame from '", from, "': elements of ", int(f[5]),
              " bytes where ", want_width, " were expected (do both players use the same ring?)");
  std::uint16_t nd;
  std::memcpy(&nd, f.data() + 6, 2);
  std::size_t head = frame_header_bytes(nd);
  TFE_ENFORCE(f.size() >= head, channel_error, "malformed frame from '", from, "': truncated shape");
  shape_t shape(nd);
  for (std::size_t i = 0; i < nd; ++i) shape[i] = get_u64(f.data() + frame_fixed_header + 8 * i);
  // Checked product: at most max_tensor_elements, so count * want_width (a u8) cannot overflow.
  const std::size_t count =
      checked_shape_size<channel_error>(shape, "malformed frame from '" + from + "'", "declared shape");
  TFE_ENFORCE(f.size() - head == count * want_width, channel_error, "malformed frame from '", from, "': shape ",
              shape_str(shape), " needs ", count * want_width, " payload bytes but the frame has ", f.size() - head);
  return {shape, head};
}

}  // namespace detail

/// Deserializes a ring tensor, checking the frame against the expected ring.
template <class R>
ring_tensor<R> deserialize_tensor(const frame& f, const std::string& from = "peer") {
  using T = ring_traits<R>;
  auto [shape, head] = detail::parse_header(f, detail::frame_kind_tensor, T::bytes, from);
  ring_tensor<R> t(shape);
  const std::uint8_t* in = f.data() + head;
  if constexpr (std::is_trivially_copyable_v<R>) {
    if (t.size() != 0) std::memcpy(t.data(), in, t.size() * T::bytes);
  } else {
    std::size_t i = 0;
    for (auto& v : t) v = T::load(in + (i++) * T::bytes);
  }
  return t;
}

inline std::vector<std::uint8_t> deserialize_bytes(const frame& f, const std::string& from = "peer") {
  auto [shape, head] = detail::parse_header(f, detail::frame_kind_bytes, 1, from);
  TFE_ENFORCE(shape.size() == 1, channel_error, "malformed byte frame from '", from, "'");
  return std::vector<std::uint8_t>(f.begin() + static_cast<std::ptrdiff_t>(head), f.end());
}

}  // namespace tfe
