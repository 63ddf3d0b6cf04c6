/// The manifest's programs written straight into JSON bytes, in the exact form
/// ``PrettyJSONEncoder`` (and Foundation) give them: relocations are most of a
/// real object's manifest, and going through `Encoder` for each of thousands of
/// them was most of the manifest's cost. A test holds the result to Foundation's
/// encoding of every fixture's manifest.
extension Manifest.ProgramRecord: PrettyJSONDirect {
    func writePrettyJSON(indent: Int, to out: inout [UInt8]) {
        var object = PrettyObject(indent: indent, out: &out)
        // Keys in byte order of their snake_case forms.
        object.member("attach_target", attachTarget, to: &out)
        object.member("autoload", autoload, to: &out)
        object.member("expected_attach_type", Int(expectedAttachType), to: &out)
        object.member("expected_attach_type_name", expectedAttachTypeName, to: &out)
        object.member("func_info_count", funcInfoCount, to: &out)
        object.member("insn_count", insnCount, to: &out)
        object.member("line_info_count", lineInfoCount, to: &out)
        object.member("name", name, to: &out)
        object.key("relocations", to: &out)
        PrettyObject.array(relocations, indent: indent + 1, to: &out) { $0.write(indent: $1, to: &$2) }
        object.member("section", section, to: &out)
        object.key("subprograms", to: &out)
        PrettyObject.array(subprograms, indent: indent + 1, to: &out) { $0.write(indent: $1, to: &$2) }
        object.member("type", Int(type), to: &out)
        object.member("type_name", typeName, to: &out)
        object.end(to: &out)
    }
}

extension Manifest.SubprogramRecord {
    func write(indent: Int, to out: inout [UInt8]) {
        var object = PrettyObject(indent: indent, out: &out)
        object.member("insn", insn, to: &out)
        object.member("insn_count", insnCount, to: &out)
        object.member("name", name, to: &out)
        object.member("section", section, to: &out)
        object.end(to: &out)
    }
}

extension Manifest.Origin {
    func write(indent: Int, to out: inout [UInt8]) {
        var object = PrettyObject(indent: indent, out: &out)
        object.member("insn_offset", insnOffset, to: &out)
        object.member("section", section, to: &out)
        object.end(to: &out)
    }
}

extension Manifest.Relocation {
    func write(indent: Int, to out: inout [UInt8]) {
        var object = PrettyObject(indent: indent, out: &out)
        object.member("access", access, to: &out)
        object.member("core_kind", coreKind, to: &out)
        object.member("field_path", fieldPath, to: &out)
        object.member("insn", insn, to: &out)
        object.member("kind", kind, to: &out)
        object.member("name", name, to: &out)
        object.member("offset", offset, to: &out)
        if let origin {
            object.key("origin", to: &out)
            origin.write(indent: indent + 1, to: &out)
        }
        object.member("root_type", rootType, to: &out)
        object.member("target", target, to: &out)
        object.member("typed", typed, to: &out)
        object.member("value", value, to: &out)
        object.member("weak", weak, to: &out)
        object.end(to: &out)
    }
}

/// A value the tree encoder writes itself, at the indent where it lands.
protocol PrettyJSONDirect {
    func writePrettyJSON(indent: Int, to out: inout [UInt8])
}

/// Writes one pretty-printed object member by member: `{`, then each
/// `"key" : value` on its own line, then `}` (an object with no members is `{\n\n}`).
struct PrettyObject {
    let indent: Int
    var count = 0

    init(indent: Int, out: inout [UInt8]) {
        self.indent = indent
        out.append(UInt8(ascii: "{"))
        out.append(UInt8(ascii: "\n"))
    }

    mutating func key(_ key: StaticString, to out: inout [UInt8]) {
        if count > 0 {
            out.append(UInt8(ascii: ","))
            out.append(UInt8(ascii: "\n"))
        }
        count += 1
        PrettyJSONEncoder.indent(indent + 1, to: &out)
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: " ")])
    }

    mutating func member(_ key: StaticString, _ value: String?, to out: inout [UInt8]) {
        guard let value else { return }
        self.key(key, to: &out)
        PrettyJSONEncoder.writeString(value, to: &out)
    }

    mutating func member(_ key: StaticString, _ value: Int?, to out: inout [UInt8]) {
        guard let value else { return }
        self.key(key, to: &out)
        out.append(contentsOf: String(value).utf8)
    }

    mutating func member(_ key: StaticString, _ value: Bool?, to out: inout [UInt8]) {
        guard let value else { return }
        self.key(key, to: &out)
        out.append(contentsOf: (value ? "true" : "false").utf8)
    }

    func end(to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\n"))
        PrettyJSONEncoder.indent(indent, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `[`, the elements one per line at `indent + 1`, `]` at `indent` (empty: `[\n\n]`).
    static func array<Element>(_ elements: [Element], indent: Int, to out: inout [UInt8],
                               _ write: (Element, Int, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "["))
        out.append(UInt8(ascii: "\n"))
        for (index, element) in elements.enumerated() {
            if index > 0 {
                out.append(UInt8(ascii: ","))
                out.append(UInt8(ascii: "\n"))
            }
            PrettyJSONEncoder.indent(indent + 1, to: &out)
            write(element, indent + 1, &out)
        }
        out.append(UInt8(ascii: "\n"))
        PrettyJSONEncoder.indent(indent, to: &out)
        out.append(UInt8(ascii: "]"))
    }
}
