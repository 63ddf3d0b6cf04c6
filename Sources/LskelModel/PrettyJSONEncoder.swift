import FoundationEssentials
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

    /// Keys converted to snake case the way Foundation converts them (the
    /// conversion is Foundation's own, asked once per distinct key).
    static let snakeCaseKeys = Mutex<[String: String]>([:])

    static func snakeCase(_ key: String) -> String {
        if let known = snakeCaseKeys.withLock({ $0[key] }) { return known }
        let converted = foundationSnakeCase(key)
        snakeCaseKeys.withLock { $0[key] = converted }
        return converted
    }

    private struct ProbeKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private struct Probe: Encodable {
        var key: String
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: ProbeKey.self)
            try container.encode(0, forKey: ProbeKey(stringValue: key))
        }
    }

    private static func foundationSnakeCase(_ key: String) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(Probe(key: key)),
              let object = try? JSONDecoder().decode([String: Int].self, from: data),
              let converted = object.keys.first
        else { return key }
        return converted
    }

    // MARK: writing

    private static let indents: [[UInt8]] = (0..<64).map { [UInt8](repeating: UInt8(ascii: " "), count: $0 * 2) }

    private static func indent(_ level: Int, to out: inout [UInt8]) {
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
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: "\n")]) }
                indent(level + 1, to: &out)
                writeString(member.key, to: &out)
                out.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: " ")])
                write(member.value.node, indent: level + 1, to: &out)
            }
            out.append(UInt8(ascii: "\n"))
            indent(level, to: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0c: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0a: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0d: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00...0x1f:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xf)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    // MARK: the tree

    enum Node {
        case null
        case bool(Bool)
        case number(String)
        case string(String)
        case array([Slot])
        case object([String: Slot])
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
            if case .object = root.node {} else { root.node = .object([:]) }
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
            return .object(dictionary.mapValues { Slot(.string($0)) })
        case let dictionary as [String: UInt32]:
            return .object(dictionary.mapValues { Slot(.number(String($0))) })
        case is Double, is Float, is Date, is Data, is URL, is Decimal:
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath,
                debugDescription: "PrettyJSONEncoder does not encode \(T.self); use JSONEncoder"))
        default:
            let encoder = TreeEncoder(codingPath: codingPath)
            try value.encode(to: encoder)
            return encoder.root.node
        }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let slot: Slot
        let codingPath: [any CodingKey]

        private func set(_ node: Node, for key: Key) {
            guard case .object(var members) = slot.node else { return }
            slot.node = .null
            members[PrettyJSONEncoder.snakeCase(key.stringValue)] = Slot(node)
            slot.node = .object(members)
        }

        private func child(for key: Key) -> Slot {
            let child = Slot()
            guard case .object(var members) = slot.node else { return child }
            slot.node = .null
            members[PrettyJSONEncoder.snakeCase(key.stringValue)] = child
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
            child.node = .object([:])
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
            let child = Slot(.object([:]))
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
