#ifndef AV1D_CFFMPEG_SHIM_H
#define AV1D_CFFMPEG_SHIM_H

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libavutil/mastering_display_metadata.h>
#include <libavutil/hdr_dynamic_metadata.h>
#include <libavutil/dovi_meta.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <libavutil/display.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersrc.h>
#include <libavfilter/buffersink.h>
#include <libswresample/swresample.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>

// Function-like and compound macros do not import into Swift; each gets one prefixed inline.

/// AVERROR_EOF: a compound FFERRTAG expression.
static inline int av1d_averror_eof(void) { return AVERROR_EOF; }
/// AVERROR(EAGAIN): "send more input" / "take output first".
static inline int av1d_averror_eagain(void) { return AVERROR(EAGAIN); }
/// AVERROR(e) for any errno value.
static inline int av1d_averror(int e) { return AVERROR(e); }
/// AV_NOPTS_VALUE: a cast expression.
static inline int64_t av1d_nopts_value(void) { return AV_NOPTS_VALUE; }
/// AV_TIME_BASE_Q: a compound literal.
static inline AVRational av1d_time_base_q(void) { return AV_TIME_BASE_Q; }

#endif
