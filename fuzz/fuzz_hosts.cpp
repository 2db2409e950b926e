// fuzz/fuzz_hosts.cpp: libFuzzer target for the hosts file reader (net/hosts.hpp, parse_hosts_text):
// the input is the text of a hosts file. Only tfe::config_error may be thrown; a hosts file that
// parses must survive its own JSON (to_json, parse_hosts) unchanged.
#include "fuzz_common.hpp"

#include "tfe/net/hosts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const tfe::hosts_config h = tfe::parse_hosts_text(tfe_fuzz::bytes_of(data, size), "/fuzz", "fuzz.json");
    const tfe::hosts_config back = tfe::parse_hosts(tfe::to_json(h), "/fuzz", "fuzz.json");
    tfe_fuzz::require(back.names() == h.names() && back.ca == h.ca && back.run_id == h.run_id,
                      "a parsed hosts file does not survive its own JSON");
    for (std::size_t i = 0; i < h.players.size(); ++i)
      tfe_fuzz::require(back.players[i].port == h.players[i].port && back.players[i].cert == h.players[i].cert &&
                            back.players[i].fingerprint == h.players[i].fingerprint,
                        "a player of a parsed hosts file does not survive its own JSON");
  } catch (const tfe::config_error&) {}
  return 0;
}
