import CFFmpeg

/// One libavfilter graph for video: a `buffer` source, a chain such as "transpose=clock,scale=640:360",
/// and a `buffersink`. Owns the `AVFilterGraph` (and with it both end points).
struct FilterGraph: ~Copyable, @unchecked Sendable {
    private let graph: UnsafeMutablePointer<AVFilterGraph>
    private let source: UnsafeMutablePointer<AVFilterContext>
    private let sink: UnsafeMutablePointer<AVFilterContext>

    /// What a receive call produced; needing input and reaching the end are normal states.
    enum Output { case frame, needsInput, endOfStream }

    /// Builds `chain` for pictures shaped like `input` whose timestamps count in `timeBase`.
    init(_ chain: String, input: borrowing Frame, timeBase: AVRational) throws(EncodeError) {
        guard let graph = avfilter_graph_alloc() else {
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "avfilter_graph_alloc"))
        }
        let picture = input.pointer.pointee
        let aspect = picture.sample_aspect_ratio.num > 0 ? picture.sample_aspect_ratio : AVRational(num: 0, den: 1)
        let arguments = "video_size=\(picture.width)x\(picture.height):pix_fmt=\(picture.format)"
            + ":time_base=\(timeBase.num)/\(max(timeBase.den, 1)):pixel_aspect=\(aspect.num)/\(aspect.den)"
        var source: UnsafeMutablePointer<AVFilterContext>?
        var sink: UnsafeMutablePointer<AVFilterContext>?
        var outputs = avfilter_inout_alloc()
        var inputs = avfilter_inout_alloc()
        defer {
            avfilter_inout_free(&outputs)
            avfilter_inout_free(&inputs)
        }
        do throws(AVFailure) {
            try avCheck(avfilter_graph_create_filter(&source, avfilter_get_by_name("buffer"), "in", arguments, nil, graph),
                        "creating the filter source (\(arguments))")
            try avCheck(avfilter_graph_create_filter(&sink, avfilter_get_by_name("buffersink"), "out", nil, nil, graph),
                        "creating the filter sink")
            guard let chainInput = outputs, let chainOutput = inputs else {
                throw AVFailure(code: av1d_averror(ENOMEM), operation: "avfilter_inout_alloc")
            }
            // The chain's open input is fed by the source, its open output feeds the sink.
            chainInput.pointee.name = av_strdup("in")
            chainInput.pointee.filter_ctx = source
            chainOutput.pointee.name = av_strdup("out")
            chainOutput.pointee.filter_ctx = sink
            try avCheck(avfilter_graph_parse_ptr(graph, chain, &inputs, &outputs, nil), "parsing the filter chain \"\(chain)\"")
            try avCheck(avfilter_graph_config(graph, nil), "configuring the filter chain \"\(chain)\"")
        } catch {
            var doomed: UnsafeMutablePointer<AVFilterGraph>? = graph
            avfilter_graph_free(&doomed)
            throw .library(error)
        }
        self.graph = graph
        self.source = source!
        self.sink = sink!
    }

    /// Hands a picture to the graph, taking its buffers (the frame is left blank).
    func send(_ frame: borrowing Frame) throws(EncodeError) {
        do throws(AVFailure) {
            try avCheck(av_buffersrc_add_frame_flags(source, frame.pointer, 0), "filtering a picture")
        } catch { throw .library(error) }
    }

    /// Tells the graph no more pictures come, so filters that look ahead (bwdif) release the last.
    func sendEndOfStream() throws(EncodeError) {
        do throws(AVFailure) {
            try avCheck(av_buffersrc_add_frame_flags(source, nil, 0), "ending the filter input")
        } catch { throw .library(error) }
    }

    func receive(into frame: borrowing Frame) throws(EncodeError) -> Output {
        let code = av_buffersink_get_frame(sink, frame.pointer)
        if code >= 0 { return .frame }
        if code == av1d_averror_eagain() { return .needsInput }
        if code == av1d_averror_eof() { return .endOfStream }
        throw .library(AVFailure(code: code, operation: "filtering a picture"))
    }

    /// The time base of the pictures the graph gives out (bwdif halves it, to have room for fields).
    var outputTimeBase: AVRational { av_buffersink_get_time_base(sink) }

    deinit {
        var doomed: UnsafeMutablePointer<AVFilterGraph>? = graph
        avfilter_graph_free(&doomed)
    }
}
