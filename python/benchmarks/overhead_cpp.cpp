// python/benchmarks/overhead_cpp.cpp: the C++ side of python/benchmarks/overhead.py: the same inference
// as tfe.predict (run_graph on an ONNX model and a .npy input, every player in this process), repeated
// in one process, printing each run's wall time. Built on demand: cmake --build build --target
// tfe_python_overhead.
//
//   tfe_python_overhead MODEL.onnx X.npy PROTOCOL REPEATS
#include "graph_runner.hpp"

#include "tfe/io/npy.hpp"
#include "tfe/onnx/reader.hpp"

#include <chrono>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  return tfe::guarded_main([&] {
    TFE_ENFORCE(argc == 5, tfe::config_error, "usage: tfe_python_overhead MODEL.onnx X.npy PROTOCOL REPEATS");
    const std::string model = argv[1], input = argv[2];
    tfe::programs::graph_request rq;
    rq.protocol = argv[3];
    rq.load_model = [&] { return tfe::onnx::read_model(model); };
    rq.load_inputs = [&] { return std::vector<xt::xarray<double>>{tfe::io::load_npy(input)}; };
    for (int i = 0, n = std::stoi(argv[4]); i < n; ++i) {
      const auto start = std::chrono::steady_clock::now();
      const auto r = tfe::programs::run_graph(rq);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::cout << "seconds: " << s << " (output " << tfe::shape_str(tfe::shape_of(r.outputs.at(0))) << ")\n";
    }
    return 0;
  });
}
