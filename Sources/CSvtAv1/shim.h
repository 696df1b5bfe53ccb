#ifndef AV1D_CSVTAV1_SHIM_H
#define AV1D_CSVTAV1_SHIM_H

// SVT's headers `typedef uint8_t Bool`, which would shadow Swift.Bool in every importing file.
#define Bool EbBool
#include <svt-av1/EbSvtAv1Enc.h>
#include <svt-av1/EbSvtAv1ErrorCodes.h>
#undef Bool

/// SVT_AV1_CHECK_VERSION is function-like; expose the compiled-against version instead.
static inline unsigned av1d_svt_header_version(void) {
    return SVT_AV1_VERSION_MAJOR * 10000u + SVT_AV1_VERSION_MINOR * 100u + SVT_AV1_VERSION_PATCHLEVEL;
}

#endif
