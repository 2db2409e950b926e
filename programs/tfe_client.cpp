// tfe_client: one client of tfe_serve: secret-shares an input for the servers and alone receives the
// prediction (docs/serving.md; the C++ API is tfe/serve/client.hpp).
//
//   tfe_client --hosts H.json --cert certs/alice.pem --key certs/alice.key --input X.npy --output Y.npy
//              [--rows N] [--repeat K]
//
// X.npy (float32 or float64) is shaped as the model's input with the examples on axis 0; with --rows N
// it is sent as requests of N rows each (one after the other), else as one request. Y.npy gets the
// outputs (float32), in the input's order. A refused request prints the servers' reasons and exits 1.
// --repeat K sends the whole input K times (a load generator) and checks every answer equals the first.
#include "tfe/io/npy.hpp"
#include "tfe/runtime/cli.hpp"
#include "tfe/runtime/launch.hpp"
#include "tfe/serve/client.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    tfe::serve::client_options o;
    std::string input, output;
    std::size_t rows = 0, repeat = 1;
    double connect_timeout = 30, timeout = 60;
    CLI::App app{"tfe_client: a private prediction from tfe_serve"};
    app.add_option("--hosts", o.hosts, "the servers' hosts file (with client_port per server)")->required();
    app.add_option("--cert", o.cert, "this client's certificate (PEM; its CN names the client)")->required();
    app.add_option("--key", o.key, "this client's private key (PEM)")->required();
    app.add_option("--ca", o.ca, "the CA certificate (default: the hosts file's)");
    app.add_option("--input", input, "input .npy (float32/float64), examples on axis 0")->required();
    app.add_option("--output", output, "where to write the outputs (.npy, float32)");
    app.add_option("--rows", rows, "rows per request (default: the whole input in one request)");
    app.add_option("--repeat", repeat, "send the input this many times (default 1)");
    app.add_option("--ring", o.ring, "the ring to claim (default: the servers'; for tests of a refusal)");
    app.add_option("--connect-timeout", connect_timeout, "seconds to reach every server (default 30)");
    app.add_option("--timeout", timeout, "seconds to wait for the answers of a request (default 60)");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      throw tfe::exit_request(app.exit(e));
    }
    const std::string dtype = tfe::io::npy_dtype_of(input);
    if (dtype != "<f4" && dtype != "<f8" && dtype != "|f4" && dtype != "=f4" && dtype != "=f8")
      throw tfe::file_error(input, "holds dtype '" + dtype + "'; model inputs must be float32 or float64");
    const xt::xarray<double> x = tfe::io::load_npy(input);
    TFE_ENFORCE(x.dimension() >= 1 && x.shape()[0] >= 1, tfe::shape_error, input, ": shape ",
                tfe::shape_str(tfe::shape_of(x)), " has no example on axis 0");
    o.connect_timeout = std::chrono::milliseconds(static_cast<long long>(connect_timeout * 1000));
    o.timeout = std::chrono::milliseconds(static_cast<long long>(timeout * 1000));
    tfe::serve::client c(o);
    const std::size_t n = x.shape()[0], step = rows == 0 ? n : rows;
    xt::xarray<double> first;
    for (std::size_t k = 0; k < std::max<std::size_t>(repeat, 1); ++k) {
      std::vector<xt::xarray<double>> parts;
      try {
        for (std::size_t lo = 0; lo < n; lo += step)
          parts.push_back(c.predict(xt::view(x, xt::range(lo, std::min(n, lo + step)))));
      } catch (const tfe::serve::serve_error& e) {
        std::cerr << "tfe_client " << c.name() << ": " << e.what() << std::endl;
        return 1;
      }
      tfe::shape_t shape = tfe::shape_of(parts[0]);
      shape[0] = n;
      xt::xarray<double> y = xt::xarray<double>::from_shape(shape);
      std::size_t off = 0;
      for (const auto& p : parts)
        off = static_cast<std::size_t>(std::copy(p.begin(), p.end(), y.data() + off) - y.data());
      if (k == 0) first = y;
      TFE_ENFORCE(xt::allclose(y, first, 0, 1e-3), tfe::serve::serve_error, "answer ", k,
                  " differs from the first answer to the same input");
    }
    std::cout << "tfe_client " << c.name() << ": " << n << " predictions of shape "
              << tfe::shape_str(tfe::shape_of(first)) << " under " << c.layout().protocol;
    if (!output.empty()) {
      tfe::io::save_npy(output, first);
      std::cout << " -> " << output;
    }
    std::cout << std::endl;
    return 0;
  });
}
