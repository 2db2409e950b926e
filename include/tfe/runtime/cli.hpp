// tfe/runtime/cli.hpp: parsing a program's command line with CLI11, for programs that run as any player
// (tfe::launch_flags). Include it only where you parse flags: it brings in CLI11 (Debian's libcli11-dev).
//
//   CLI::App app{"my program"};
//   tfe::launch_flags launch;
//   launch.add_to(app);
//   app.add_option("--epochs", epochs, "...");
//   tfe::parse_command_line(app, launch, argc, argv);   // --help: throws tfe::exit_request
//
// int main(...) try { ... } catch (const tfe::exit_request& e) { return e.code(); }
//                            catch (const std::exception& e) { ...error... }
#pragma once

#include "tfe/runtime/launch.hpp"

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>

namespace tfe {

/// Parses argc/argv with `app`, to which launch.add_to(app) was applied: --help prints the usage and
/// throws exit_request(0) (main returns its code()); bad arguments throw std::invalid_argument naming the problem; --hosts without --player (or
/// the reverse) throws config_error.
inline void parse_command_line(CLI::App& app, const launch_flags& launch, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    throw exit_request(app.exit(e));
  } catch (const CLI::ParseError& e) {
    throw std::invalid_argument("bad arguments: " + std::string(e.what()) + " (try --help)");
  }
  (void)launch.distributed();
}

}  // namespace tfe
