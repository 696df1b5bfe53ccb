import Foundation
import NativeEncode

/// Writes a small file so that readers and crashes only ever see the old or the new content:
/// temporary name in the same folder, fsync, rename, fsync the folder.
enum AtomicFile {
    static func write(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw EncodeError.output("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        do {
            try DurableFile.sync(temporary)
            try DurableFile.rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
