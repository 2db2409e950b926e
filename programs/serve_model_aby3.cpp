// programs/serve_model_aby3.cpp: the graph model under aby3 (ring64) for tfe_serve (serve_models.hpp).
#include "serve_models.hpp"

TFE_SERVE_MODEL_DECLARE(, tfe::aby3<tfe::ring64>)
