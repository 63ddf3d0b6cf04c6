import Glibc

extension String {
    /// Whether `needle` occurs in the string, compared as UTF-8 bytes. Log scanning uses it: `contains(_:)` on `String` goes
    /// through Unicode-aware generic searching and costs far more per line.
    ///
    ///     "libbpf: map 'jmp': slot [0] points to prog 'tail'".includes("points to prog '")  // true
    public func includes(_ needle: String) -> Bool {
        var haystack = self
        var needle = needle
        return haystack.withUTF8 { hay in
            needle.withUTF8 { pattern in
                guard let first = pattern.first else { return true }
                guard hay.count >= pattern.count, let hayBase = hay.baseAddress, let patternBase = pattern.baseAddress else {
                    return false
                }
                var index = 0
                let last = hay.count - pattern.count
                while index <= last {
                    if hay[index] == first && memcmp(hayBase + index, patternBase, pattern.count) == 0 { return true }
                    index += 1
                }
                return false
            }
        }
    }
}
