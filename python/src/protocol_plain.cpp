// python/src/protocol_plain.cpp: the Python session API under "plain" (tfe::plain<tfe::ring64>).
#include "session_api.hpp"

#include "tfe/protocol/plain/plain.hpp"

namespace tfe::python {
void bind_plain(py::module_& m) { bind_protocol<plain<ring64>>(m, "plain"); }
}  // namespace tfe::python
