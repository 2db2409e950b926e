// programs/serve_model_plain.cpp: the graph model under plain (ring64) for tfe_serve (serve_models.hpp).
#include "serve_models.hpp"

TFE_SERVE_MODEL_DECLARE(, tfe::plain<tfe::ring64>)
