// python/src/protocol_pond.cpp: the Python session API under "pond" (tfe::pond<tfe::ring64>).
#include "session_api.hpp"

#include "tfe/protocol/pond/pond.hpp"

namespace tfe::python {
void bind_pond(py::module_& m) { bind_protocol<pond<ring64>>(m, "pond"); }
}  // namespace tfe::python
