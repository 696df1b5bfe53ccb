/// Scores encoded samples against the source, picture by picture in display order, while both
/// are decoded (the source by the engine's own decode stage, the sample by libdav1d, not the
/// encoder's library): nothing is held in memory beyond the pictures compared.
struct SampleQuality {
    private var meter = QualityMeter()
    /// Set when a sample's pictures could not be compared (sizes differ): no score is given.
    private(set) var incomparable: String?

    mutating func add(source path: String, segment: Segment, encoded: String, bitDepth: Int) throws(EncodeError) {
        guard incomparable == nil else { return }
        var source = try PictureStream(path: path, bitDepth: bitDepth, segment: segment)
        var decoded = try PictureStream(path: encoded, bitDepth: bitDepth, decoderName: "libdav1d")
        while let original = try source.next(), let picture = try decoded.next() {
            let a = LumaPlane(original), b = LumaPlane(picture)
            guard a.width == b.width && a.height == b.height && a.bitDepth == b.bitDepth else {
                incomparable = "the sample decodes to \(b.width)x\(b.height), the source to \(a.width)x\(a.height)"
                return
            }
            meter.add(source: a, decoded: b)
        }
    }

    var scores: QualityScores? {
        incomparable == nil && meter.frames > 0 ? meter.scores : nil
    }
}
