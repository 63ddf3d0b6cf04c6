import LskelModel

/// What `lskel gen` writes for each object.
public enum GenFormat: String, CaseIterable, Sendable {
    case header, blobs, manifest, all

    /// The files this format writes.
    public var files: [LoaderFile] {
        switch self {
        case .header: [.header]
        case .blobs: [.insns, .data]
        case .manifest: [.manifest]
        case .all: LoaderFile.allCases
        }
    }
}
