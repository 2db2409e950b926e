// The matmul kernels of the built-in rings, compiled once (tfe_ring_kernels; see the end of
// tfe/ring/kernels.hpp for TFE_COMPILED_RING_KERNELS).
#include "tfe/ring/kernels.hpp"

template void tfe::matmul_kernel<tfe::ring64>(const tfe::ring64*, const tfe::ring64*, tfe::ring64*, std::size_t,
                                              std::size_t, std::size_t, std::size_t);
template void tfe::matmul_kernel<tfe::ring128>(const tfe::ring128*, const tfe::ring128*, tfe::ring128*, std::size_t,
                                               std::size_t, std::size_t, std::size_t);
