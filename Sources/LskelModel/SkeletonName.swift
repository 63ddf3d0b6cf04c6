/// Skeleton names as `bpftool gen skeleton` derives them.
///
/// ```swift
/// try SkeletonName.fromFileName("maps.bpf.o")   // "maps_bpf"
/// try SkeletonName.validated("my_prog")         // "my_prog"
/// ```
public enum SkeletonName {
    /// bpftool keeps at most 63 bytes of a name.
    public static let maxLength = 63

    /// The name bpftool gives a file: its base name without a trailing `.o`,
    /// every byte other than a letter, digit or `_` turned into `_`.
    public static func fromFileName(_ path: String) throws -> String {
        let base = Substring(path.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
        var bytes = Array(base.utf8.prefix(maxLength))
        if bytes.count >= 2, bytes[bytes.count - 2] == UInt8(ascii: "."), bytes[bytes.count - 1] == UInt8(ascii: "o") {
            bytes.removeLast(2)
        }
        let name = String(decoding: bytes.map(sanitized), as: UTF8.self)
        return try validated(name)
    }

    /// The stem of output file names: `x.bpf.o` -> `x`, `y.o` -> `y`.
    public static func fileStem(_ path: String) -> String {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        for suffix in [".bpf.o", ".o"] where base.hasSuffix(suffix) && base.count > suffix.count {
            return String(base.dropLast(suffix.count))
        }
        return base.isEmpty ? "object" : base
    }

    /// Accepts a name only when the header it produces compiles: a C identifier.
    public static func validated(_ name: String) throws -> String {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else {
            throw GenerationError(.invalidName, "the skeleton name is empty")
        }
        guard bytes.count <= maxLength else {
            throw GenerationError(.invalidName, "the skeleton name '\(name)' is longer than \(maxLength) bytes")
        }
        guard !isDigit(first), bytes.allSatisfy({ sanitized($0) == $0 }) else {
            throw GenerationError(.invalidName, "the skeleton name '\(name)' is not a C identifier; give one with --name")
        }
        guard !cKeywords.contains(name) else {
            throw GenerationError(.invalidName, "the skeleton name '\(name)' is a C keyword, so the header would not compile; give another with --name")
        }
        return name
    }

    /// Keywords of C11 and C23 (and their underscore spellings): none of them names a struct.
    /// An array: a Set's first use in a fresh `lskel` was a scan of the executable's
    /// conformance records, longer than searching these sixty.
    public static let cKeywords: [String] = [
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
        "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
        "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
        "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
        "_Static_assert", "_Thread_local", "alignas", "alignof", "bool", "constexpr", "false", "nullptr",
        "static_assert", "thread_local", "true", "typeof", "typeof_unqual", "_BitInt", "_Decimal32", "_Decimal64",
        "_Decimal128", "asm", "__asm__", "__attribute__", "__typeof__", "__inline",
    ]

    /// bpftool's `sanitize_identifier` for one byte.
    public static func sanitized(_ byte: UInt8) -> UInt8 {
        isAlnum(byte) || byte == UInt8(ascii: "_") ? byte : UInt8(ascii: "_")
    }

    /// `sanitize_identifier` over a whole string.
    public static func sanitize(_ text: String) -> String {
        String(decoding: text.utf8.map(sanitized), as: UTF8.self)
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isAlnum(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
    }
}
