// programs/serve_model_pond.cpp: the graph model under pond (ring64) for tfe_serve (serve_models.hpp).
#include "serve_models.hpp"

TFE_SERVE_MODEL_DECLARE(, tfe::pond<tfe::ring64>)
