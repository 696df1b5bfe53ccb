#ifndef AV1D_CAOM_SHIM_H
#define AV1D_CAOM_SHIM_H

#include <aom/aom_encoder.h>
#include <aom/aomcx.h>

/// AOM_ENCODER_ABI_VERSION is a compound macro; aom_codec_enc_init is a macro around _ver.
static inline int av1d_aom_encoder_abi_version(void) { return AOM_ENCODER_ABI_VERSION; }

#endif
