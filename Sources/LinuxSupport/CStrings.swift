import Glibc

/// A NULL-terminated array of C strings (`argv`, `envp`) that lives as long as this value.
public struct CStrings: ~Copyable {
    public let pointers: [UnsafeMutablePointer<CChar>?]

    public init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    deinit { pointers.forEach { free($0) } }
}
