/// The files of one loader, named after the object's file stem (`x.bpf.o` ->
/// `x.lskel.h`, ...): what `lskel gen` writes, downloads are called, a tar
/// holds and a batch answer lays out. One definition for all of them.
public enum LoaderFile: String, CaseIterable, Sendable {
    case header = ".lskel.h"
    case insns = ".insns.bin"
    case data = ".data.bin"
    case manifest = ".manifest.json"

    public func name(stem: String) -> String { stem + rawValue }

    /// A signed loader's CMS signature (DER), written beside its blobs.
    public static let signatureSuffix = ".sig"

    /// The four files of a loader in a tar, in this order, under `directory` if given.
    public static func addAll(to writer: inout TarWriter, stem: String, directory: String? = nil,
                              contents: (LoaderFile) -> [UInt8]) {
        for file in allCases {
            let name = file.name(stem: stem)
            writer.add(name: directory.map { "\($0)/\(name)" } ?? name, bytes: contents(file))
        }
    }
}
