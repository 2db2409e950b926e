// The graph kernels of tfe::plain<tfe::ring64>, compiled once for tfe_graph_kernels (tfe/graph/compiled_kernels.hpp).
#include "tfe/graph/compiled_kernels.hpp"

TFE_GRAPH_KERNELS_INSTANTIATE(::tfe::plain<::tfe::ring64>)
