/// The manifest written straight into JSON bytes, in the exact form
/// ``PrettyJSONEncoder`` (and Foundation) give it: members in byte order of
/// their snake_case keys, optionals left out when nil (a profile value's own
/// `value` is written as `null`, as its generic `Codable` form writes it).
/// Relocations are most of a real object's manifest, and going through
/// `Encoder` for each of thousands of them was most of the manifest's cost; the
/// rest went through it too until the first use of each generic record type
/// (the runtime's conformance lookups) proved to be a fifth of a fresh process's
/// generation. A test holds the result to Foundation's encoding of every
/// fixture's manifest, signed and unsigned.
extension Manifest {
    func writePrettyJSON(indent: Int, to out: inout [UInt8]) {
        var object = PrettyObject(indent: indent, out: &out)
        object.key("externs", to: &out)
        PrettyObject.array(externs, indent: indent + 1, to: &out) { $0.write(indent: $1, to: &$2) }
        object.key("generator", to: &out)
        generator.write(indent: indent + 1, to: &out)
        object.key("loader", to: &out)
        loader.write(indent: indent + 1, to: &out)
        object.member("manifest_version", manifestVersion, to: &out)
        object.key("maps", to: &out)
        PrettyObject.array(maps, indent: indent + 1, to: &out) { $0.write(indent: $1, to: &$2) }
        object.key("object", to: &out)
        self.object.write(indent: indent + 1, to: &out)
        object.key("profile", to: &out)
        profile.write(indent: indent + 1, to: &out)
        object.key("programs", to: &out)
        PrettyObject.array(programs, indent: indent + 1, to: &out) { $0.writePrettyJSON(indent: $1, to: &$2) }
        if let signature {
            object.key("signature", to: &out)
            signature.write(indent: indent + 1, to: &out)
        }
        object.key("warnings", to: &out)
        PrettyObject.array(warnings, indent: indent + 1, to: &out) { $0.write(indent: $1, to: &$2) }
        object.end(to: &out)
    }
}

extension Manifest.ObjectInfo {
    func write(indent: Int, to out: inout [UInt8]) {
        var object = PrettyObject(indent: indent, out: &out)
        object.member("btf_type_count", btfTypeCount, to: &out)
        object.member("byte_order", byteOrder, to: &out)
        object.member("kernel_version", kernelVersion.map(Int.init), to: &out)
        object.member("license", license, to: &out)
        object.member("name", name, to: &out)
        object.member("sha256", sha256, to: &out)
        object.member("size", size, to: &out)
        object.end(to: &out)
    }
}

extension Manifest.GeneratorInfo {
    func write(indent: Int, to out: inout [UInt8]) {
        var object = PrettyObject(indent: indent, out: &out)
        object.member("libbpf_version", libbpfVersion, to: &out)
        object.member("lskeld_version", lskeldVersion, to: &out)
        object.member("reference", reference, to: &out)
        object.end(to: &out)
    }
}

extension Manifest.ProfileRecord {
    func write(indent: Int, to out: inout [UInt8]) {
        var object = PrettyObject(indent: indent, out: &out)
        object.key("cpus", to: &out)
        cpus.write(indent: indent + 1, to: &out) { PrettyObject.number($0, to: &$1) }
        object.key("kconfig", to: &out)
        kconfig.write(indent: indent + 1, to: &out) { PrettyObject.optionalString($0, to: &$1) }
        object.key("kconfig_values", to: &out)
        PrettyObject.dictionary(kconfigValues, indent: indent + 1, to: &out) { PrettyJSONEncoder.writeString($0, to: &$1) }
        object.key("kernel_release", to: &out)
        kernelRelease.write(indent: indent + 1, to: &out) { PrettyObject.optionalString($0, to: &$1) }
        object.member("kernel_version_code", kernelVersionCode.map(Int.init), to: &out)
        object.key("max_entries", to: &out)
        maxEntries.write(indent: indent + 1, to: &out) { entries, out in
            PrettyObject.dictionary(entries, indent: indent + 2, to: &out) { PrettyObject.number(Int($0), to: &$1) }
        }
        object.key("page_size", to: &out)
        pageSize.write(indent: indent + 1, to: &out) { PrettyObject.number($0, to: &$1) }
        object.end(to: &out)
    }
}

extension Manifest.ProfileValue {
    func write(indent: Int, to out: inout [UInt8], value writeValue: (Value, inout [UInt8]) -> Void) {
        var object = PrettyObject(indent: indent, out: &out)
        object.member("consumed", consumed, to: &out)
        object.member("source", source, to: &out)
        object.key("value", to: &out)
        writeValue(value, &out)
        object.end(to: &out)
    }
}

extension Manifest.LoaderInfo {
    func write(indent: Int, to out: inout [UInt8]) {
        var object = PrettyObject(indent: indent, out: &out)
        object.member("ctx_size", ctxSize, to: &out)
        object.member("data_sha256", dataSha256, to: &out)
        object.member("data_size", dataSize, to: &out)
        object.member("header_sha256", headerSha256, to: &out)
        object.member("insns_sha256", insnsSha256, to: &out)
        object.member("insns_size", insnsSize, to: &out)
        object.key("map_descriptors", to: &out)
        PrettyObject.array(mapDescriptors, indent: indent + 1, to: &out) { $0.write(indent: $1, to: &$2) }
        object.key("program_descriptors", to: &out)
        PrettyObject.array(programDescriptors, indent: indent + 1, to: &out) { $0.write(indent: $1, to: &$2) }
        object.member("skeleton_name", skeletonName, to: &out)
        object.end(to: &out)
    }
}

extension Manifest.Descriptor {
    func write(indent: Int, to out: inout [UInt8]) {
        var object = PrettyObject(indent: indent, out: &out)
        object.member("index", index, to: &out)
        object.member("name", name, to: &out)
        object.member("offset", offset, to: &out)
        object.end(to: &out)
    }
}

extension Manifest.MapRecord {
    func write(indent: Int, to out: inout [UInt8]) {
        var object = PrettyObject(indent: indent, out: &out)
        object.member("flags", Int(flags), to: &out)
        object.member("frozen", frozen, to: &out)
        object.member("ident", ident, to: &out)
        object.member("index", index, to: &out)
        object.member("initial_data_section", initialDataSection, to: &out)
        object.member("inner_map", innerMap, to: &out)
        object.member("key_size", Int(keySize), to: &out)
        object.member("max_entries", Int(maxEntries), to: &out)
        object.member("max_entries_source", maxEntriesSource, to: &out)
        object.member("mmapable", mmapable, to: &out)
        object.member("name", name, to: &out)
        object.member("type", Int(type), to: &out)
        object.member("type_name", typeName, to: &out)
        object.member("value_size", Int(valueSize), to: &out)
        object.end(to: &out)
    }
}

extension Manifest.ExternRecord {
    func write(indent: Int, to out: inout [UInt8]) {
        var object = PrettyObject(indent: indent, out: &out)
        object.member("kind", kind, to: &out)
        object.member("name", name, to: &out)
        object.member("resolution", resolution, to: &out)
        object.member("typed", typed, to: &out)
        object.member("value", value, to: &out)
        object.member("weak", weak, to: &out)
        object.end(to: &out)
    }
}

extension Manifest.Warning {
    func write(indent: Int, to out: inout [UInt8]) {
        var object = PrettyObject(indent: indent, out: &out)
        object.member("code", code, to: &out)
        object.member("message", message, to: &out)
        object.end(to: &out)
    }
}

extension Manifest.SignatureRecord {
    func write(indent: Int, to out: inout [UInt8]) {
        var object = PrettyObject(indent: indent, out: &out)
        object.member("certificate_sha256", certificateSha256, to: &out)
        object.member("certificate_subject", certificateSubject, to: &out)
        object.member("check_insns", checkInsns, to: &out)
        object.member("deterministic", deterministic, to: &out)
        object.member("excl_prog_hash", exclProgHash, to: &out)
        object.member("key_name", keyName, to: &out)
        object.member("key_type", keyType, to: &out)
        object.member("keyring", keyring, to: &out)
        object.member("keyring_id", keyringId, to: &out)
        object.member("map_hash", mapHash, to: &out)
        object.member("scheme", scheme, to: &out)
        object.member("signature_sha256", signatureSha256, to: &out)
        object.member("signature_size", signatureSize, to: &out)
        object.member("signed_sha256", signedSha256, to: &out)
        object.member("signed_size", signedSize, to: &out)
        object.end(to: &out)
    }
}

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

    static func number(_ value: Int, to out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    static func optionalString(_ value: String?, to out: inout [UInt8]) {
        if let value { PrettyJSONEncoder.writeString(value, to: &out) } else { out.append(contentsOf: "null".utf8) }
    }

    /// A String-keyed dictionary as an object: keys as they are (not converted), in byte order.
    static func dictionary<Value>(_ entries: [String: Value], indent: Int, to out: inout [UInt8],
                                  _ write: (Value, inout [UInt8]) -> Void) {
        var object = PrettyObject(indent: indent, out: &out)
        for (key, value) in entries.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            object.dataKey(key, to: &out)
            write(value, &out)
        }
        object.end(to: &out)
    }

    /// A member whose key is data (a dictionary's), escaped as any string.
    mutating func dataKey(_ key: String, to out: inout [UInt8]) {
        if count > 0 {
            out.append(UInt8(ascii: ","))
            out.append(UInt8(ascii: "\n"))
        }
        count += 1
        PrettyJSONEncoder.indent(indent + 1, to: &out)
        PrettyJSONEncoder.writeString(key, to: &out)
        out.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: " ")])
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
