import CFFmpeg

/// Owns one `AVPacket`. Unique ownership makes handing it to another thread safe.
package struct Packet: ~Copyable, @unchecked Sendable {
    package let pointer: UnsafeMutablePointer<AVPacket>

    package init() throws(EncodeError) {
        guard let allocated = av_packet_alloc() else {
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "av_packet_alloc"))
        }
        pointer = allocated
    }

    /// A packet with `size` bytes of writable payload.
    package init(size: Int) throws(EncodeError) {
        guard let allocated = av_packet_alloc() else {
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "av_packet_alloc"))
        }
        let code = av_new_packet(allocated, Int32(size))
        if code < 0 {
            var doomed: UnsafeMutablePointer<AVPacket>? = allocated
            av_packet_free(&doomed)
            throw .library(AVFailure(code: code, operation: "av_new_packet"))
        }
        pointer = allocated
    }

    /// A packet holding a copy of `bytes`.
    package init(copying bytes: [UInt8]) throws(EncodeError) {
        try self.init(size: bytes.count)
        if !bytes.isEmpty { pointer.pointee.data.update(from: bytes, count: bytes.count) }
    }

    /// Moves the contents of `other` into a new packet, leaving `other` blank.
    package init(movingFrom other: borrowing Packet) throws(EncodeError) {
        try self.init()
        av_packet_move_ref(pointer, other.pointer)
    }

    package func unref() { av_packet_unref(pointer) }

    package var streamIndex: Int { Int(pointer.pointee.stream_index) }

    deinit {
        var doomed: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&doomed)
    }
}

/// Owns one `AVFrame`.
package struct Frame: ~Copyable, @unchecked Sendable {
    package let pointer: UnsafeMutablePointer<AVFrame>

    package init() throws(EncodeError) {
        guard let allocated = av_frame_alloc() else {
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "av_frame_alloc"))
        }
        pointer = allocated
    }

    /// Moves the picture in `other` into a new frame, leaving `other` blank for reuse.
    package init(movingFrom other: borrowing Frame) throws(EncodeError) {
        try self.init()
        av_frame_move_ref(pointer, other.pointer)
    }

    package var width: Int { Int(pointer.pointee.width) }
    package var height: Int { Int(pointer.pointee.height) }
    package var pixelFormat: AVPixelFormat { AVPixelFormat(rawValue: pointer.pointee.format) }

    /// Bytes of picture memory this frame keeps alive (its reference-counted buffers).
    package var bufferBytes: Int {
        withUnsafeBytes(of: pointer.pointee.buf) { raw in
            raw.bindMemory(to: UnsafeMutablePointer<AVBufferRef>?.self)
                .reduce(0) { $0 + ($1.map { Int($0.pointee.size) } ?? 0) }
        }
    }

    /// Side data of one kind attached to the frame, if any.
    package func sideData(_ kind: AVFrameSideDataType) -> UnsafeMutablePointer<AVFrameSideData>? {
        av_frame_get_side_data(pointer, kind)
    }

    deinit {
        var doomed: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&doomed)
    }
}
