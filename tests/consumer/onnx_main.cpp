// consumer_onnx: links tfe::onnx from an installed tfe (find_package(tfe COMPONENTS onnx)) without
// including any ONNX or protobuf header; bytes that are no model must give a tfe::file_error.
#include <iostream>
#include <tfe/onnx/reader.hpp>
int main() {
  try {
    tfe::onnx::read_model_bytes(std::string("\xff\xff not a model"), "bytes.onnx");
  } catch (const tfe::file_error& e) {
    std::cout << "consumer_onnx: " << e.what() << "\n";
    return e.path() == "bytes.onnx" ? 0 : 1;
  }
  return 1;
}
