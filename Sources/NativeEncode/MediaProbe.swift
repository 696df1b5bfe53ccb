import CFFmpeg

/// Looks inside a file before any encode is planned: container facts, plus the first decoded
/// picture, which is where HDR10+ dynamic metadata shows.
public enum MediaProbe {
    public static func inspect(path: String) throws(EncodeError) -> SourceInfo {
        LibraryLogs.configure(verbose: false)
        let input = try MediaInput(path: path)
        var info = SourceInfo(input)
        guard let videoIndex = info.videoIndex, info.dynamicHDR == nil, !info.isAV1 else { return info }
        let stream = input.stream(videoIndex)
        let decoder = try VideoDecoder(stream: stream, threads: 1)
        let packet = try Packet()
        let frame = try Frame()
        // A few dozen packets are enough for the first picture of any sane file.
        for _ in 0..<200 {
            guard case .packet = input.read(into: packet) else { break }
            defer { packet.unref() }
            guard packet.streamIndex == videoIndex else { continue }
            _ = decoder.send(packet)
            if case .frame = (try? decoder.receive(into: frame)) ?? .needsInput {
                info.dynamicHDR = HDRMetadata.dynamicKind(of: frame, source: stream)
                if let display = HDRMetadata.masteringDisplay(of: frame, source: stream) {
                    info.hasMasteringDisplay = MasteringDisplay(display) != nil
                }
                return info
            }
        }
        return info
    }
}
