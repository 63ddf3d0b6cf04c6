import Synchronization

/// Encodes `Encodable` values to the exact bytes Foundation's `JSONEncoder`
/// writes with `outputFormatting = [.sortedKeys, .prettyPrinted,
/// .withoutEscapingSlashes]` and `keyEncodingStrategy = .convertToSnakeCase`
/// (two-space indent, `"key" : value`, keys in UTF-8 byte order, empty
/// containers as `[\n\n]`), several times faster: it builds a small tree
/// without Foundation's boxing and writes it into one byte buffer. The manifest
/// of every job goes through it; tests hold it to Foundation's output.
///
///     let bytes = try PrettyJSONEncoder.encode(manifest)
public enum PrettyJSONEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = TreeEncoder()
        try value.encode(to: encoder)
        var out: [UInt8] = []
        out.reserveCapacity(16 << 10)
        write(encoder.root.node, indent: 0, to: &out)
        return out
    }

    /// Keys converted to snake case the way Foundation converts them, once per distinct key.
    static let snakeCaseKeys = Mutex<[String: String]>([:])

    static func snakeCase(_ key: String) -> String {
        // Without an uppercase letter the conversion changes nothing.
        if !key.unicodeScalars.contains(where: isUpper) { return key }
        if let known = snakeCaseKeys.withLock({ $0[key] }) { return known }
        let converted = convertToSnakeCase(key)
        snakeCaseKeys.withLock { $0[key] = converted }
        return converted
    }

    /// Foundation's `convertToSnakeCase`, on Unicode scalars as Foundation's
    /// character sets see them (uppercase: Lu and Lt; lowercase: Ll): words
    /// split where a lowercase letter meets an uppercase one, and before the
    /// last capital of a run of capitals that a lowercase letter follows;
    /// lowercased; joined with `_`. Written here so that the model links no
    /// Foundation; a test holds it to Foundation's own.
    static func convertToSnakeCase(_ key: String) -> String {
        let scalars = Array(key.unicodeScalars)
        guard !scalars.isEmpty else { return key }
        var words: [Range<Int>] = []
        var wordStart = 0
        var search = 1
        while search < scalars.count, let upper = scalars[search...].firstIndex(where: isUpper) {
            words.append(wordStart..<upper)
            guard let lower = scalars[upper...].firstIndex(where: isLower) else {
                wordStart = upper
                search = scalars.count
                break
            }
            if lower == upper + 1 {
                wordStart = upper
            } else {
                words.append(upper..<(lower - 1))
                wordStart = lower - 1
            }
            search = lower + 1
        }
        words.append(wordStart..<scalars.count)
        return words.map { range in
            var word = String.UnicodeScalarView()
            word.append(contentsOf: scalars[range])
            return String(word).lowercased()
        }.joined(separator: "_")
    }

    static func isUpper(_ scalar: Unicode.Scalar) -> Bool {
        let category = scalar.properties.generalCategory
        return category == .uppercaseLetter || category == .titlecaseLetter
    }

    static func isLower(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .lowercaseLetter
    }

    // MARK: writing

    private static let indents: [[UInt8]] = (0..<64).map { [UInt8](repeating: UInt8(ascii: " "), count: $0 * 2) }

    static func indent(_ level: Int, to out: inout [UInt8]) {
        if level < indents.count {
            out.append(contentsOf: indents[level])
        } else {
            out.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: level * 2))
        }
    }

    static func write(_ node: Node, indent level: Int, to out: inout [UInt8]) {
        switch node {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let text): writeString(text, to: &out)
        case .direct(let value): value.writePrettyJSON(indent: level, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            out.append(UInt8(ascii: "\n"))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: "\n")]) }
                indent(level + 1, to: &out)
                write(element.node, indent: level + 1, to: &out)
            }
            out.append(UInt8(ascii: "\n"))
            indent(level, to: &out)
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            out.append(UInt8(ascii: "\n"))
            // Keys in byte order; of a key written twice the last value counts, as in a dictionary.
            let order = members.indices.sorted {
                let (a, b) = (members[$0].key, members[$1].key)
                return a == b ? $0 < $1 : a.utf8.lexicographicallyPrecedes(b.utf8)
            }
            var first = true
            for (position, index) in order.enumerated() {
                if position + 1 < order.count && members[order[position + 1]].key == members[index].key { continue }
                if !first { out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: "\n")]) }
                first = false
                indent(level + 1, to: &out)
                writeString(members[index].key, to: &out)
                out.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: " ")])
                write(members[index].slot.node, indent: level + 1, to: &out)
            }
            out.append(UInt8(ascii: "\n"))
            indent(level, to: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func writeString(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { writeString(bytes: $0, to: &out) }
    }

    /// Whether a byte is written as it is inside a JSON string.
    @inline(__always) static func isPlain(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
    }

    /// A JSON string of UTF-8 bytes, in two passes: the escaped length first, then
    /// the bytes written in place (text full of backslashes, such as a header's
    /// `\\x..` literals, costs no more than plain text).
    public static func writeString(bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var length = 2
        for byte in bytes {
            length += isPlain(byte) ? 1 : escapedLength(byte)
        }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: length))
        out.withUnsafeMutableBufferPointer { output in
            var at = start
            output[at] = UInt8(ascii: "\"")
            at += 1
            for byte in bytes {
                if isPlain(byte) {
                    output[at] = byte
                    at += 1
                    continue
                }
                output[at] = UInt8(ascii: "\\")
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): output[at + 1] = byte
                case 0x08: output[at + 1] = UInt8(ascii: "b")
                case 0x0c: output[at + 1] = UInt8(ascii: "f")
                case 0x0a: output[at + 1] = UInt8(ascii: "n")
                case 0x0d: output[at + 1] = UInt8(ascii: "r")
                case 0x09: output[at + 1] = UInt8(ascii: "t")
                default:
                    output[at + 1] = UInt8(ascii: "u")
                    output[at + 2] = UInt8(ascii: "0")
                    output[at + 3] = UInt8(ascii: "0")
                    output[at + 4] = hexDigits[Int(byte >> 4)]
                    output[at + 5] = hexDigits[Int(byte & 0xf)]
                }
                at += escapedLength(byte)
            }
            output[at] = UInt8(ascii: "\"")
        }
    }

    /// The length of a byte that is not plain, escaped: `\n` and the like, else `\u00XX`.
    @inline(__always) static func escapedLength(_ byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x08, 0x0c, 0x0a, 0x0d, 0x09: 2
        default: 6
        }
    }

    // MARK: the tree

    enum Node {
        case null
        case bool(Bool)
        case number(String)
        case string(String)
        case array([Slot])
        case object([Member])
        /// A value that writes itself (see ``PrettyJSONDirect``).
        case direct(any PrettyJSONDirect)
    }

    /// One member of an object, in the order it was encoded.
    struct Member {
        var key: String
        var slot: Slot
    }

    /// A place in the tree a container or value is written to later.
    final class Slot {
        var node: Node = .null
        init() {}
        init(_ node: Node) { self.node = node }
    }

    final class TreeEncoder: Encoder {
        let root: Slot
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        init(root: Slot = Slot(), codingPath: [any CodingKey] = []) {
            self.root = root
            self.codingPath = codingPath
        }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if case .object = root.node {} else { root.node = .object([]) }
            return KeyedEncodingContainer(KeyedContainer<Key>(slot: root, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if case .array = root.node {} else { root.node = .array([]) }
            return UnkeyedContainer(slot: root, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            SingleValueContainer(slot: root, codingPath: codingPath)
        }
    }

    /// The node a value encodes to, with the same special cases Foundation makes.
    static func node<T: Encodable>(for value: T, codingPath: [any CodingKey]) throws -> Node {
        // Exact type checks first: far cheaper than dynamic casts for the common cases.
        if T.self == String.self { return .string(unsafeBitCast(value, to: String.self)) }
        if T.self == Int.self { return .number(String(unsafeBitCast(value, to: Int.self))) }
        if T.self == Bool.self { return .bool(unsafeBitCast(value, to: Bool.self)) }
        if T.self == UInt32.self { return .number(String(unsafeBitCast(value, to: UInt32.self))) }
        switch value {
        case let string as String: return .string(string)
        case let bool as Bool: return .bool(bool)
        case let int as Int: return .number(String(int))
        case let int as Int64: return .number(String(int))
        case let int as Int32: return .number(String(int))
        case let int as UInt: return .number(String(int))
        case let int as UInt64: return .number(String(int))
        case let int as UInt32: return .number(String(int))
        case let int as UInt16: return .number(String(int))
        case let int as UInt8: return .number(String(int))
        case let dictionary as [String: String]:
            // Foundation writes String-keyed dictionaries with their keys as they are.
            return .object(dictionary.map { Member(key: $0.key, slot: Slot(.string($0.value))) })
        case let dictionary as [String: UInt32]:
            return .object(dictionary.map { Member(key: $0.key, slot: Slot(.number(String($0.value)))) })
        case is Double, is Float:
            throw unsupported(value, codingPath: codingPath)
        // Foundation's own types (this module does not link Foundation) encode differently
        // through JSONEncoder than through their Encodable conformance: refused by name.
        case _ where ["Date", "Data", "URL", "Decimal"].contains(String(describing: T.self)):
            throw unsupported(value, codingPath: codingPath)
        default:
            let encoder = TreeEncoder(codingPath: codingPath)
            try value.encode(to: encoder)
            return encoder.root.node
        }
    }

    static func unsupported<T>(_ value: T, codingPath: [any CodingKey]) -> EncodingError {
        EncodingError.invalidValue(value, .init(codingPath: codingPath,
            debugDescription: "PrettyJSONEncoder does not encode \(T.self); use JSONEncoder"))
    }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let slot: Slot
        let codingPath: [any CodingKey]

        private func set(_ node: Node, for key: Key) {
            guard case .object(var members) = slot.node else { return }
            slot.node = .null
            members.append(Member(key: PrettyJSONEncoder.snakeCase(key.stringValue), slot: Slot(node)))
            slot.node = .object(members)
        }

        private func child(for key: Key) -> Slot {
            let child = Slot()
            guard case .object(var members) = slot.node else { return child }
            slot.node = .null
            members.append(Member(key: PrettyJSONEncoder.snakeCase(key.stringValue), slot: child))
            slot.node = .object(members)
            return child
        }

        mutating func encodeNil(forKey key: Key) throws { set(.null, for: key) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), for: key) }
        mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), for: key) }
        mutating func encode(_ value: Int, forKey key: Key) throws { set(.number(String(value)), for: key) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.number(String(value)), for: key) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            set(try PrettyJSONEncoder.node(for: value, codingPath: codingPath + [key]), for: key)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey> {
            let child = child(for: key)
            child.node = .object([])
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(slot: child, codingPath: codingPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let child = child(for: key)
            child.node = .array([])
            return UnkeyedContainer(slot: child, codingPath: codingPath + [key])
        }

        mutating func superEncoder() -> any Encoder {
            TreeEncoder(root: Slot(), codingPath: codingPath)
        }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            TreeEncoder(root: child(for: key), codingPath: codingPath + [key])
        }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let slot: Slot
        let codingPath: [any CodingKey]
        var count: Int {
            if case .array(let elements) = slot.node { return elements.count }
            return 0
        }

        private func append(_ child: Slot) {
            guard case .array(var elements) = slot.node else { return }
            slot.node = .null
            elements.append(child)
            slot.node = .array(elements)
        }

        mutating func encodeNil() throws { append(Slot(.null)) }
        mutating func encode(_ value: Bool) throws { append(Slot(.bool(value))) }
        mutating func encode(_ value: String) throws { append(Slot(.string(value))) }
        mutating func encode(_ value: Int) throws { append(Slot(.number(String(value)))) }
        mutating func encode(_ value: UInt32) throws { append(Slot(.number(String(value)))) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            append(Slot(try PrettyJSONEncoder.node(for: value, codingPath: codingPath)))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let child = Slot(.object([]))
            append(child)
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(slot: child, codingPath: codingPath))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let child = Slot(.array([]))
            append(child)
            return UnkeyedContainer(slot: child, codingPath: codingPath)
        }

        mutating func superEncoder() -> any Encoder {
            let child = Slot()
            append(child)
            return TreeEncoder(root: child, codingPath: codingPath)
        }
    }

    struct SingleValueContainer: SingleValueEncodingContainer {
        let slot: Slot
        let codingPath: [any CodingKey]

        mutating func encodeNil() throws { slot.node = .null }
        mutating func encode(_ value: Bool) throws { slot.node = .bool(value) }
        mutating func encode(_ value: String) throws { slot.node = .string(value) }
        mutating func encode(_ value: Int) throws { slot.node = .number(String(value)) }
        mutating func encode(_ value: UInt32) throws { slot.node = .number(String(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            slot.node = try PrettyJSONEncoder.node(for: value, codingPath: codingPath)
        }
    }
}
