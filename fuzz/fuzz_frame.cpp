// fuzz/fuzz_frame.cpp: libFuzzer target for the frame decoder (net/frame.hpp): the input is a frame
// as received from a peer, decoded as a ring64 tensor, a ring128 tensor and raw bytes. Only
// tfe::channel_error may be thrown; a frame that decodes must serialize back to the same bytes.
#include "fuzz_common.hpp"

#include "tfe/net/frame.hpp"

template <class R>
static void decode_tensor(const tfe::frame& f) {
  try {
    const tfe::ring_tensor<R> t = tfe::deserialize_tensor<R>(f, "fuzz");
    tfe_fuzz::require(tfe::serialize_tensor(t) == f, "a decoded tensor frame serializes to other bytes");
  } catch (const tfe::channel_error&) {}
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const tfe::frame f(data, data + size);
  decode_tensor<tfe::ring64>(f);
  decode_tensor<tfe::ring128>(f);
  try {
    const auto b = tfe::deserialize_bytes(f, "fuzz");
    tfe_fuzz::require(tfe::serialize_bytes(b.data(), b.size()) == f, "a decoded byte frame serializes to other bytes");
  } catch (const tfe::channel_error&) {}
  return 0;
}
