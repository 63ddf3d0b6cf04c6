/// Substring search and replacement on a String's UTF-8, without the
/// string-processing library: the lean `lskel` links neither it nor Foundation,
/// whose conformance records (45% of the executable's) lengthened every
/// run-time conformance lookup of a fresh process.
extension StringProtocol {
    /// The range of the first occurrence of `literal`, compared as UTF-8 bytes.
    ///
    ///     "int (*)(void)".range(ofLiteral: "(*)")  // the range of "(*)"
    public func range(ofLiteral literal: String) -> Range<Index>? {
        let needle = Array(literal.utf8)
        guard let first = needle.first else { return startIndex..<startIndex }
        var start = utf8.startIndex
        while start != utf8.endIndex {
            if utf8[start] == first {
                var candidate = start, matched = 0
                while matched < needle.count, candidate != utf8.endIndex, utf8[candidate] == needle[matched] {
                    candidate = utf8.index(after: candidate)
                    matched += 1
                }
                if matched == needle.count { return start..<candidate }
            }
            start = utf8.index(after: start)
        }
        return nil
    }

    /// Every occurrence of `literal` replaced with `replacement`, left to right, not overlapping.
    public func replacingLiteral(_ literal: String, with replacement: String) -> String {
        guard !literal.isEmpty else { return String(self) }
        var out = "", rest = self[...]
        while let found = rest.range(ofLiteral: literal) {
            out += rest[..<found.lowerBound]
            out += replacement
            rest = rest[found.upperBound...]
        }
        out += rest
        return out
    }
}
