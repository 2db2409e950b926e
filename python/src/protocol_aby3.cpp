// python/src/protocol_aby3.cpp: the Python session API under "aby3" (tfe::aby3<tfe::ring64>).
#include "session_api.hpp"

#include "tfe/protocol/aby3/aby3.hpp"

namespace tfe::python {
void bind_aby3(py::module_& m) { bind_protocol<aby3<ring64>>(m, "aby3"); }
}  // namespace tfe::python
