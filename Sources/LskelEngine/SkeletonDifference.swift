/// The first difference between lskel's loader and what bpftool printed.
public enum SkeletonDifference: Equatable, Sendable, CustomStringConvertible {
    /// A header line (1-based) differs; `nil` where one header has fewer lines.
    case headerLine(Int, ours: String?, theirs: String?)
    /// A loader blob differs at a byte offset (or in length).
    case blob(String, offset: Int, ourCount: Int, theirCount: Int)
    /// bpftool's header carries no blobs.
    case unreadableReference

    public var description: String {
        func show(_ line: String?) -> String { line.map { "'\($0.prefix(160))'" } ?? "(no line)" }
        switch self {
        case .headerLine(let line, let ours, let theirs):
            return "header line \(line) differs: lskel \(show(ours)), bpftool \(show(theirs))"
        case .blob(let name, let offset, let ourCount, let theirCount):
            return "\(name) differ at byte \(offset) (lskel \(ourCount) bytes, bpftool \(theirCount))"
        case .unreadableReference:
            return "bpftool's header carries no loader blobs"
        }
    }

    /// nil when the loader is bpftool's byte for byte: blobs first (they say
    /// the most), then the header's lines.
    public static func first(ours loader: GeneratedLoader, theirs header: String) -> SkeletonDifference? {
        guard let (insns, data) = CHexLiteral.blobs(in: header) else { return .unreadableReference }
        for (name, mine, reference) in [("insns", loader.insns, insns), ("data", loader.data, data)] where mine != reference {
            let offset = zip(mine, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(mine.count, reference.count)
            return .blob(name, offset: offset, ourCount: mine.count, theirCount: reference.count)
        }
        guard loader.header != header else { return nil }
        let ours = loader.header.split(separator: "\n", omittingEmptySubsequences: false)
        let theirs = header.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(ours.count, theirs.count) {
            let mine = index < ours.count ? String(ours[index]) : nil
            let reference = index < theirs.count ? String(theirs[index]) : nil
            if mine != reference { return .headerLine(index + 1, ours: mine, theirs: reference) }
        }
        return .headerLine(ours.count, ours: nil, theirs: nil)
    }
}
