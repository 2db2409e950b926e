// fuzz/fuzz_wire.cpp: libFuzzer target for the TCP handshake's parsers (net/tcp_wire.hpp): the first
// byte picks the parser (even: hello, odd: verdict), the rest is the message body; every input's
// first 8 bytes are decoded as a message header too. Only tfe::channel_error may be thrown; an
// accepted hello must survive encode_hello and parse_hello, and check_hello must accept it.
#include "fuzz_common.hpp"

#include "tfe/net/tcp_wire.hpp"

namespace wire = tfe::detail::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size >= 8) {
    const wire::header h = wire::decode_header(data);
    std::uint8_t again[8];
    wire::encode_header(again, static_cast<wire::msg>(h.type), h.length);
    tfe_fuzz::require(wire::decode_header(again).length == h.length, "a header does not survive encode_header");
  }
  if (size == 0) return 0;
  const std::string body = tfe_fuzz::bytes_of(data + 1, size - 1);
  try {
    if (data[0] % 2 == 0) {
      const wire::hello h = wire::parse_hello(body, "fuzz");
      const wire::hello back = wire::parse_hello(wire::encode_hello(h), "fuzz");
      tfe_fuzz::require(back.players == h.players && back.from == h.from && back.to == h.to &&
                            back.run_id == h.run_id && back.program == h.program,
                        "a hello does not survive encode_hello");
      (void)wire::check_hello(h, back, false);
    } else {
      (void)wire::parse_verdict(body, "fuzz");
    }
  } catch (const tfe::channel_error&) {}
  return 0;
}
