import Foundation
import LinuxSupport

/// One encoded chunk on disk: the encoder's sequence header, then its temporal units in display
/// order, each with the presentation time and duration of the picture it encodes (the join checks
/// the times against the source and gives the muxer both). Little-endian: magic, header length +
/// bytes, then per unit pts, duration, flags, length, bytes.
enum ChunkFile {
    static let magic = Array("AV1DCHK2".utf8)
    /// pts, duration, flags, length.
    private static let unitHeaderSize = 21

    /// One stored temporal unit.
    struct Unit {
        var pts: Int64
        var duration: Int64
        var isKeyframe: Bool
        var bytes: [UInt8]
    }

    /// Writes a chunk under a temporary name; `commit` makes it durable under its final one.
    final class Writer {
        private let handle: FileHandle
        private let temporaryPath: String
        let path: String
        private(set) var bytesWritten: Int64 = 0
        private var committed = false

        init(path: String, sequenceHeader: [UInt8]) throws(EncodeError) {
            self.path = path
            temporaryPath = path + ".part"
            unlink(temporaryPath)
            guard FileManager.default.createFile(atPath: temporaryPath, contents: nil),
                  let handle = FileHandle(forWritingAtPath: temporaryPath) else {
                throw .output("cannot create the chunk file \(temporaryPath)")
            }
            self.handle = handle
            var header = ChunkFile.magic
            header.append(littleEndian: UInt32(sequenceHeader.count))
            header += sequenceHeader
            try write(header)
        }

        func append(_ unit: Unit) throws(EncodeError) {
            var record: [UInt8] = []
            record.reserveCapacity(unit.bytes.count + ChunkFile.unitHeaderSize)
            record.append(littleEndian: UInt64(bitPattern: unit.pts))
            record.append(littleEndian: UInt64(bitPattern: unit.duration))
            record.append(unit.isKeyframe ? 1 : 0)
            record.append(littleEndian: UInt32(unit.bytes.count))
            record += unit.bytes
            try write(record)
        }

        /// fsync, then rename into place (and fsync the folder): after this the chunk survives a power cut.
        func commit() throws(EncodeError) {
            try? handle.close()
            try EncodeError.system { () throws(SystemError) in
                try DurableFile.sync(temporaryPath)
                try DurableFile.rename(temporaryPath, to: path)
            }
            committed = true
        }

        private func write(_ bytes: [UInt8]) throws(EncodeError) {
            do { try handle.write(contentsOf: Data(bytes)) } catch {
                throw .output("cannot write the chunk file \(temporaryPath): \(error.localizedDescription)")
            }
            bytesWritten += Int64(bytes.count)
        }

        deinit {
            try? handle.close()
            if !committed { unlink(temporaryPath) }
        }
    }

    /// Reads a committed chunk unit by unit.
    final class Reader {
        private let handle: FileHandle
        let path: String
        let sequenceHeader: [UInt8]

        init(path: String) throws(EncodeError) {
            self.path = path
            guard let handle = FileHandle(forReadingAtPath: path) else { throw .output("cannot open the chunk file \(path)") }
            self.handle = handle
            let magic = Self.read(handle, count: ChunkFile.magic.count)
            guard magic == ChunkFile.magic, let length = Self.read(handle, count: 4).map(UInt32.init(littleEndianBytes:)),
                  let header = Self.read(handle, count: Int(length)) else {
                try? handle.close()
                throw .output("the chunk file \(path) is damaged")
            }
            sequenceHeader = header
        }

        /// The next unit; nil at the end. A unit cut short is damage, not an end.
        func next() throws(EncodeError) -> Unit? {
            let fixed = (try? handle.read(upToCount: ChunkFile.unitHeaderSize)).map { [UInt8]($0) } ?? []
            if fixed.isEmpty { return nil }
            guard fixed.count == ChunkFile.unitHeaderSize else { throw .output("the chunk file \(path) is damaged") }
            let pts = Int64(bitPattern: UInt64(littleEndianBytes: Array(fixed[0..<8])))
            let duration = Int64(bitPattern: UInt64(littleEndianBytes: Array(fixed[8..<16])))
            let length = Int(UInt32(littleEndianBytes: Array(fixed[17..<21])))
            guard let bytes = Self.read(handle, count: length) else { throw .output("the chunk file \(path) is damaged") }
            return Unit(pts: pts, duration: duration, isKeyframe: fixed[16] != 0, bytes: bytes)
        }

        /// Exactly `count` bytes, or nil at (or cut short by) the end of the file.
        private static func read(_ handle: FileHandle, count: Int) -> [UInt8]? {
            if count == 0 { return [] }
            guard let data = try? handle.read(upToCount: count), data.count == count else { return nil }
            return [UInt8](data)
        }

        deinit { try? handle.close() }
    }
}

private extension Array where Element == UInt8 {
    mutating func append<T: FixedWidthInteger>(littleEndian value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

private extension FixedWidthInteger {
    init(littleEndianBytes bytes: [UInt8]) {
        var value: Self = 0
        for (offset, byte) in bytes.prefix(MemoryLayout<Self>.size).enumerated() { value |= Self(byte) << (offset * 8) }
        self = value
    }
}
