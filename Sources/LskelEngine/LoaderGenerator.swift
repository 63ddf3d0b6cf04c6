import CLibbpf
import BPFObject
import CLskelHost
import Glibc
import Synchronization

/// Turns a BPF ELF object into a light-skeleton loader the way
/// `bpftool gen skeleton -L` does, with every host read answered by a
/// ``TargetProfile``.
///
/// ```swift
/// let loader = try LoaderGenerator.generate(object: bytes, name: "maps_bpf", profile: TargetProfile())
/// print(loader.header)        // the .lskel.h text
/// loader.insns; loader.data   // the loader blobs
/// ```
///
/// libbpf keeps process-wide state (its print callback, the redirected host
/// inputs), so generations in one process run one at a time.
public enum LoaderGenerator {
    private static let serial = Mutex(())

    /// Generates the loader for `object` under skeleton `name`.
    /// `elf`, when given, is our reader's parse of these same bytes (an
    /// ``ObjectSummary``'s), so that they are not parsed again.
    public static func generate(object: [UInt8], name: String, profile: TargetProfile,
                                elf: ELFFile? = nil) throws -> GeneratedLoader {
        try generate(object: ObjectBytes(object), name: name, profile: profile, elf: elf)
    }

    /// Generates the loader for `object`, read in place (a mapped file, a
    /// request's buffer): libbpf is handed these bytes themselves.
    public static func generate(object: ObjectBytes, name: String, profile: TargetProfile,
                                elf: ELFFile? = nil) throws -> GeneratedLoader {
        let name = try SkeletonName.validated(name)
        try profile.validate()
        guard object.count >= 4, object[0] == 0x7f, object[1] == 0x45, object[2] == 0x4c, object[3] == 0x46 else {
            throw GenerationError(.invalidObject, "the input is not an ELF file (\(object.count) bytes, no ELF magic)")
        }
        return try serial.withLock { _ in
            try GenerationRun(object: object, name: name, profile: profile, elf: elf).run()
        }
    }

    /// Generates the loader and its relocation manifest. The object is read
    /// with our own reader first, so malformed input is refused before libbpf
    /// sees it.
    public static func generateWithManifest(object: [UInt8], objectName: String, name: String,
                                            profile: TargetProfile) throws -> (loader: GeneratedLoader, manifest: Manifest) {
        let object = ObjectBytes(object)
        let summary = try ObjectReader.summary(object)
        let loader = try generate(object: object, name: name, profile: profile, elf: summary.elf)
        let manifest = try ManifestBuilder.build(objectName: objectName, object: object, loader: loader,
                                                 profile: profile, summary: summary)
        return (loader, manifest)
    }

    /// Runs `body` with libbpf to itself (no generation in flight), its
    /// messages captured; `body` reads them through its argument.
    static func withLibbpf<T>(_ body: (() -> [LibbpfMessage]) throws -> T) rethrows -> T {
        try serial.withLock { _ in
            let buffer = UnsafeMutablePointer<lskel_buf>.allocate(capacity: 1)
            buffer.initialize(to: lskel_buf())
            lskel_log_capture_begin(buffer)
            defer {
                lskel_log_capture_end()
                lskel_buf_free(buffer)
                buffer.deallocate()
            }
            return try body {
                guard let data = buffer.pointee.data else { return [] }
                return LibbpfMessage.parse(bytes: UnsafeRawBufferPointer(start: data, count: buffer.pointee.len))
            }
        }
    }
}
