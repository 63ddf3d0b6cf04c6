/// Parsed `.BTF` type information.
///
/// Construction validates the header, every type record, every string
/// offset, every type reference, and rejects reference loops that do not
/// pass through a struct/union member or a function prototype.
public struct BTF: Sendable {
    /// BTF magic (0xeB9F), read in the file's byte order.
    public static let magic: UInt16 = 0xEB9F
    /// Upper bound on the number of types accepted.
    public static let maxTypes = 1 << 22
    /// Upper bound on reference-chain walks in the helpers.
    static let maxDepth = 256

    /// Byte order of the section.
    public let byteOrder: ByteOrder
    /// `version` from the header (1).
    public let version: UInt8
    /// `flags` from the header.
    public let flags: UInt8
    /// The types, indexed by type ID - 1 (type ID 0 is void).
    public let types: [BTFType]
    /// The string section.
    let strings: ByteReader
    /// Byte offset of each type record (index = type ID - 1), from the start of the section.
    public let typeRecordOffsets: [Int]

    /// Number of type IDs, including void (so valid IDs are `0..<typeCount`).
    public var typeCount: Int { types.count + 1 }

    /// Parses a `.BTF` section image.
    public init(bytes: [UInt8], byteOrder: ByteOrder = .little) throws(ObjectReadError) {
        try self.init(section: ByteReader(bytes), byteOrder: byteOrder)
    }

    /// Parses the `.BTF` section image `section` windows, in place: the types'
    /// strings are read from the same bytes, never a copy of the section.
    public init(section: ByteReader, byteOrder: ByteOrder = .little) throws(ObjectReadError) {
        var r = section
        r.byteOrder = byteOrder
        r.what = ".BTF header"
        try r.check(0, 24)
        var m = try r.u16(at: 0)
        if m != BTF.magic {
            r.byteOrder = byteOrder == .little ? .big : .little
            m = try r.u16(at: 0)
            guard m == BTF.magic else { throw .badBTF(typeID: nil, reason: "bad magic 0x\(String(m, radix: 16))") }
        }
        self.byteOrder = r.byteOrder
        version = try r.u8(at: 2)
        flags = try r.u8(at: 3)
        guard version == 1 else { throw .badBTF(typeID: nil, reason: "unsupported version \(version)") }
        let hdrLen = Int(try r.u32(at: 4))
        guard hdrLen >= 24 else { throw .badBTF(typeID: nil, reason: "hdr_len \(hdrLen) < 24") }
        guard hdrLen <= r.count else {
            throw .truncated(what: ".BTF header", offset: 0, needed: hdrLen, available: r.count)
        }
        let typeOff = Int(try r.u32(at: 8)), typeLen = Int(try r.u32(at: 12))
        let strOff = Int(try r.u32(at: 16)), strLen = Int(try r.u32(at: 20))
        let body = r.count - hdrLen
        guard typeLen <= body else { throw .absurdCount(what: ".BTF type_len", count: typeLen, limit: body) }
        guard strLen <= body else { throw .absurdCount(what: ".BTF str_len", count: strLen, limit: body) }
        guard typeOff <= body - typeLen else {
            throw .truncated(what: ".BTF type section", offset: hdrLen + typeOff, needed: typeLen, available: max(0, body - typeOff))
        }
        guard strOff <= body - strLen else {
            throw .truncated(what: ".BTF string section", offset: hdrLen + strOff, needed: strLen, available: max(0, body - strOff))
        }
        if typeLen > 0, strLen > 0, typeOff < strOff + strLen, strOff < typeOff + typeLen {
            throw .badBTF(typeID: nil, reason: "type and string sections overlap")
        }
        let strs = try r.window(at: hdrLen + strOff, length: strLen, what: ".BTF strings")
        if strLen > 0 {
            guard try strs.u8(at: 0) == 0, try strs.u8(at: strLen - 1) == 0 else {
                throw .badBTF(typeID: nil, reason: "string section must start and end with NUL")
            }
        }
        strings = strs
        let tr = try r.window(at: hdrLen + typeOff, length: typeLen, what: ".BTF types")

        func str(_ off: UInt32) throws(ObjectReadError) -> String {
            if off == 0 { return "" }
            guard let s = strs.cString(at: Int(off)) else {
                throw .badStringOffset(table: ".BTF", offset: Int(off))
            }
            return s
        }

        var list: [BTFType] = []
        var offsets: [Int] = []
        var pos = 0
        while pos < tr.count {
            offsets.append(hdrLen + typeOff + pos)
            let id = UInt32(list.count + 1)
            guard list.count < BTF.maxTypes else {
                throw .absurdCount(what: "BTF types", count: list.count + 1, limit: BTF.maxTypes)
            }
            let nameOff = try tr.u32(at: pos)
            let info = try tr.u32(at: pos + 4)
            let sizeOrType = try tr.u32(at: pos + 8)
            let vlen = Int(info & 0xffff)
            let kind = UInt8((info >> 24) & 0x1f)
            let kflag = info & 0x8000_0000 != 0
            pos += 12
            let name = try str(nameOff)
            func need(_ perItem: Int, _ items: Int) throws(ObjectReadError) {
                try tr.check(pos, perItem * items)
            }
            let t: BTFType
            switch kind {
            case BTFKind.int.rawValue:
                try need(4, 1)
                let v = try tr.u32(at: pos); pos += 4
                let bits = UInt8(truncatingIfNeeded: v)
                guard v & BTFInt.reservedBits == 0 else { throw .badBTF(typeID: id, reason: "INT reserved bits set") }
                t = .int(name: name, size: sizeOrType, encoding: UInt8((v >> 24) & 0xf),
                         bitOffset: UInt8((v >> 16) & 0xff), bits: bits)
            case BTFKind.pointer.rawValue: t = .pointer(target: sizeOrType)
            case BTFKind.array.rawValue:
                try need(12, 1)
                t = .array(element: try tr.u32(at: pos), index: try tr.u32(at: pos + 4), count: try tr.u32(at: pos + 8))
                pos += 12
            case BTFKind.structure.rawValue, BTFKind.union.rawValue:
                try need(12, vlen)
                var ms: [BTFMember] = []
                ms.reserveCapacity(vlen)
                for _ in 0..<vlen {
                    let off = try tr.u32(at: pos + 8)
                    ms.append(BTFMember(name: try str(try tr.u32(at: pos)), type: try tr.u32(at: pos + 4),
                                        bitOffset: kflag ? off & 0xff_ffff : off,
                                        bitfieldSize: kflag ? off >> 24 : 0))
                    pos += 12
                }
                t = kind == BTFKind.structure.rawValue ? .structure(name: name, size: sizeOrType, members: ms)
                              : .union(name: name, size: sizeOrType, members: ms)
            case BTFKind.enumeration.rawValue:
                try need(8, vlen)
                var vs: [BTFEnumerator] = []
                vs.reserveCapacity(vlen)
                for _ in 0..<vlen {
                    let raw = try tr.u32(at: pos + 4)
                    vs.append(BTFEnumerator(name: try str(try tr.u32(at: pos)),
                                            value: kflag ? Int64(Int32(bitPattern: raw)) : Int64(raw)))
                    pos += 8
                }
                t = .enumeration(name: name, size: sizeOrType, isSigned: kflag, values: vs)
            case BTFKind.forward.rawValue: t = .forward(name: name, isUnion: kflag)
            case BTFKind.typedef.rawValue: t = .typedef(name: name, target: sizeOrType)
            case BTFKind.volatile.rawValue: t = .volatile(target: sizeOrType)
            case BTFKind.const.rawValue: t = .const(target: sizeOrType)
            case BTFKind.restrict.rawValue: t = .restrict(target: sizeOrType)
            case BTFKind.function.rawValue: t = .function(name: name, proto: sizeOrType, linkage: UInt16(vlen))
            case BTFKind.functionProto.rawValue:
                try need(8, vlen)
                var ps: [BTFParameter] = []
                ps.reserveCapacity(vlen)
                for _ in 0..<vlen {
                    ps.append(BTFParameter(name: try str(try tr.u32(at: pos)), type: try tr.u32(at: pos + 4)))
                    pos += 8
                }
                t = .functionProto(returnType: sizeOrType, parameters: ps)
            case BTFKind.variable.rawValue:
                try need(4, 1)
                t = .variable(name: name, type: sizeOrType, linkage: try tr.u32(at: pos))
                pos += 4
            case BTFKind.dataSection.rawValue:
                try need(12, vlen)
                var vs: [BTFVarSecInfo] = []
                vs.reserveCapacity(vlen)
                for _ in 0..<vlen {
                    vs.append(BTFVarSecInfo(type: try tr.u32(at: pos), offset: try tr.u32(at: pos + 4), size: try tr.u32(at: pos + 8)))
                    pos += 12
                }
                t = .dataSection(name: name, size: sizeOrType, variables: vs)
            case BTFKind.float.rawValue: t = .float(name: name, size: sizeOrType)
            case BTFKind.declTag.rawValue:
                try need(4, 1)
                t = .declTag(name: name, target: sizeOrType, componentIndex: try tr.i32(at: pos))
                pos += 4
            case BTFKind.typeTag.rawValue: t = .typeTag(name: name, target: sizeOrType)
            case BTFKind.enumeration64.rawValue:
                try need(12, vlen)
                var vs: [BTFEnumerator] = []
                vs.reserveCapacity(vlen)
                for _ in 0..<vlen {
                    let lo = UInt64(try tr.u32(at: pos + 4)), hi = UInt64(try tr.u32(at: pos + 8))
                    vs.append(BTFEnumerator(name: try str(try tr.u32(at: pos)), value: Int64(bitPattern: hi << 32 | lo)))
                    pos += 12
                }
                t = .enumeration64(name: name, size: sizeOrType, isSigned: kflag, values: vs)
            default:
                throw .badBTF(typeID: id, reason: "unknown kind \(kind)")
            }
            list.append(t)
        }
        types = list
        typeRecordOffsets = offsets

        // Every reference must name an existing type.
        let count = UInt32(list.count + 1)
        for (i, t) in list.enumerated() {
            for ref in t.references where ref >= count {
                throw .badTypeReference(from: UInt32(i + 1), to: ref)
            }
        }
        try Self.checkCycles(list)
    }

    /// Rejects loops along `chainReference` edges (a functional graph, so a
    /// linear walk with three colours suffices).
    static func checkCycles(_ list: [BTFType]) throws(ObjectReadError) {
        var state = [UInt8](repeating: 0, count: list.count + 1) // 0 new, 1 on path, 2 done
        var path: [Int] = []
        for start in 1...max(1, list.count) where start <= list.count && state[start] == 0 {
            path.removeAll(keepingCapacity: true)
            var cur = start
            while true {
                if cur == 0 || state[cur] == 2 { break }
                if state[cur] == 1 { throw .btfCycle(typeID: UInt32(cur)) }
                state[cur] = 1
                path.append(cur)
                guard let next = list[cur - 1].chainReference else { break }
                cur = Int(next)
            }
            for p in path { state[p] = 2 }
        }
    }

    /// The type with ID `id`, or nil for void (0) and IDs out of range.
    public func type(_ id: UInt32) -> BTFType? {
        guard id > 0, Int(id) <= types.count else { return nil }
        return types[Int(id) - 1]
    }

    /// The string at `offset` in the BTF string section, or nil if out of range.
    public func string(at offset: UInt32) -> String? {
        if offset == 0 { return "" }
        return strings.cString(at: Int(offset))
    }

    /// Whether ``string(at:)`` finds a string at `offset`, without making it.
    public func hasString(at offset: UInt32) -> Bool {
        offset == 0 || strings.hasCString(at: Int(offset))
    }

    /// The type's own name ("" for anonymous or unnamed kinds; "void" for 0), nil if out of range.
    public func name(of id: UInt32) -> String? {
        if id == 0 { return "void" }
        return type(id)?.name
    }

    /// Skips typedefs, const/volatile/restrict and type tags.
    public func skipModifiers(_ id: UInt32) -> UInt32 {
        var cur = id
        for _ in 0..<BTF.maxDepth {
            switch type(cur) {
            case let .typedef(_, t), let .const(t), let .volatile(t), let .restrict(t), let .typeTag(_, t):
                cur = t
            default:
                return cur
            }
        }
        return cur
    }

    /// The size in bytes of type `id`, following typedefs, modifiers, vars
    /// and arrays; pointers are 8 bytes.
    public func resolveSize(of id: UInt32) throws(ObjectReadError) -> UInt64 {
        var cur = id
        var multiplier: UInt64 = 1
        for _ in 0...typeCount {
            guard let t = type(cur) else {
                if cur == 0 { throw .badBTF(typeID: id, reason: "void has no size") }
                throw .badTypeReference(from: id, to: cur)
            }
            switch t {
            case let .int(_, s, _, _, _), let .structure(_, s, _), let .union(_, s, _),
                 let .enumeration(_, s, _, _), let .enumeration64(_, s, _, _),
                 let .float(_, s), let .dataSection(_, s, _):
                let (v, o) = multiplier.multipliedReportingOverflow(by: UInt64(s))
                guard !o else { throw .badBTF(typeID: id, reason: "size overflows") }
                return v
            case .pointer:
                let (v, o) = multiplier.multipliedReportingOverflow(by: 8)
                guard !o else { throw .badBTF(typeID: id, reason: "size overflows") }
                return v
            case let .array(e, _, n):
                let (v, o) = multiplier.multipliedReportingOverflow(by: UInt64(n))
                guard !o else { throw .badBTF(typeID: id, reason: "size overflows") }
                multiplier = v
                cur = e
            case let .typedef(_, t), let .const(t), let .volatile(t), let .restrict(t),
                 let .typeTag(_, t), let .variable(_, t, _), let .declTag(_, t, _):
                cur = t
            case .forward, .function, .functionProto:
                throw .badBTF(typeID: cur, reason: "kind \(t.kind) has no size")
            }
        }
        throw .btfCycle(typeID: id)
    }

    /// Type `id` rendered as a C type for display, e.g. `struct task_struct`,
    /// `unsigned int`, `char *`, `int [16]`, `const volatile long`.
    public func cDeclaration(of id: UInt32) -> String {
        render(id, depth: 0)
    }

    private func tagged(_ keyword: String, _ name: String) -> String {
        name.isEmpty ? "\(keyword) <anon>" : "\(keyword) \(name)"
    }

    private func render(_ id: UInt32, depth: Int) -> String {
        guard depth < 32 else { return "..." }
        if id == 0 { return "void" }
        guard let t = type(id) else { return "<bad type \(id)>" }
        switch t {
        case let .int(n, _, _, _, _), let .float(n, _): return n
        case let .structure(n, _, _): return tagged("struct", n)
        case let .union(n, _, _): return tagged("union", n)
        case let .enumeration(n, _, _, _), let .enumeration64(n, _, _, _): return tagged("enum", n)
        case let .forward(n, u): return tagged(u ? "union" : "struct", n)
        case let .typedef(n, _): return n
        case let .pointer(target):
            if case let .functionProto(ret, ps)? = type(target) {
                return "\(render(ret, depth: depth + 1)) (*)(\(params(ps, depth: depth)))"
            }
            let inner = render(target, depth: depth + 1)
            return inner.hasSuffix("*") ? inner + "*" : inner + " *"
        case let .const(target), let .volatile(target), let .restrict(target):
            let word: String
            switch t {
            case .const: word = "const"
            case .volatile: word = "volatile"
            default: word = "restrict"
            }
            let inner = render(target, depth: depth + 1)
            if case .pointer? = type(skipTags(target)) { return "\(inner) \(word)" }
            return "\(word) \(inner)"
        case .array:
            var dims = ""
            var cur = id
            var steps = 0
            while case let .array(e, _, n)? = type(cur), steps < 32 {
                dims += "[\(n)]"
                cur = e
                steps += 1
            }
            return "\(render(cur, depth: depth + 1)) \(dims)"
        case let .function(n, proto, _):
            if case let .functionProto(ret, ps)? = type(proto) {
                return "\(render(ret, depth: depth + 1)) \(n)(\(params(ps, depth: depth)))"
            }
            return n
        case let .functionProto(ret, ps):
            return "\(render(ret, depth: depth + 1)) (\(params(ps, depth: depth)))"
        case let .variable(n, type, _): return named(render(type, depth: depth + 1), n)
        case let .dataSection(n, _, _): return "SEC(\"\(n)\")"
        case let .declTag(_, target, _): return render(target, depth: depth + 1)
        case let .typeTag(n, target): return "\(render(target, depth: depth + 1)) __attribute__((btf_type_tag(\"\(n)\")))"
        }
    }

    private func skipTags(_ id: UInt32) -> UInt32 {
        var cur = id
        for _ in 0..<BTF.maxDepth {
            guard case let .typeTag(_, t)? = type(cur) else { return cur }
            cur = t
        }
        return cur
    }

    /// Places `name` inside a rendered type the way C declares it:
    /// `char *p`, `int a[4]`, `int (*f)(void)`.
    private func named(_ decl: String, _ name: String) -> String {
        if let r = Self.firstRange(of: "(*)", in: decl) {
            var out = decl
            out.replaceSubrange(r, with: "(*\(name))")
            return out
        }
        if decl.hasSuffix("]"), let r = Self.firstRange(of: " [", in: decl) {
            return "\(decl[..<r.lowerBound]) \(name)\(decl[decl.index(after: r.lowerBound)...])"
        }
        return decl.hasSuffix("*") ? decl + name : "\(decl) \(name)"
    }

    /// Where the ASCII `marker` first occurs in `text` (this module goes without
    /// the string-processing library's searching).
    private static func firstRange(of marker: StaticString, in text: String) -> Range<String.Index>? {
        let needle = UnsafeBufferPointer(start: marker.utf8Start, count: marker.utf8CodeUnitCount)
        var start = text.utf8.startIndex
        while start != text.utf8.endIndex {
            var end = start
            var matched = 0
            while matched < needle.count, end != text.utf8.endIndex, text.utf8[end] == needle[matched] {
                end = text.utf8.index(after: end)
                matched += 1
            }
            if matched == needle.count { return start..<end }
            start = text.utf8.index(after: start)
        }
        return nil
    }

    private func params(_ ps: [BTFParameter], depth: Int) -> String {
        if ps.isEmpty { return "void" }
        return ps.map { p in
            if p.type == 0 && p.name.isEmpty { return "..." }
            let ty = render(p.type, depth: depth + 1)
            return p.name.isEmpty ? ty : named(ty, p.name)
        }.joined(separator: ", ")
    }

    /// Turns a CO-RE access string such as "0:1:2:3" rooted at `rootTypeID`
    /// into a readable path such as `struct task_struct.real_parent` or
    /// `struct sk_buff.cb[2]`.
    ///
    /// The first index is the array index into the root pointer (shown only
    /// when non-zero); later indices select struct/union members (anonymous
    /// members add no name) or array elements. For an enum root the single
    /// index selects an enumerator: `enum bpf_map_type::BPF_MAP_TYPE_RINGBUF`.
    ///
    /// Pass the relocation `kind` when known: type-based relocations (access
    /// string "0") then render as the bare type, and only enumerator-value
    /// relocations (or a nil kind with an enum root) select an enumerator.
    public func fieldPath(rootTypeID: UInt32, accessString: String, kind: CoreReloKind? = nil) throws(ObjectReadError) -> String {
        var indices: [UInt32] = []
        for part in accessString.split(separator: ":", omittingEmptySubsequences: false) {
            guard let v = UInt32(part) else { throw .badAccessString(accessString, reason: "'\(part)' is not an index") }
            indices.append(v)
            guard indices.count <= 1024 else { throw .badAccessString(accessString, reason: "too many components") }
        }
        guard let first = indices.first else { throw .badAccessString(accessString, reason: "empty") }
        guard rootTypeID != 0, type(rootTypeID) != nil else {
            throw .badAccessString(accessString, reason: "root type \(rootTypeID) does not exist")
        }
        var out = cDeclaration(of: rootTypeID)
        var cur = skipModifiers(rootTypeID)
        if let kind, kind.isTypeBased {
            guard indices == [0] else { throw .badAccessString(accessString, reason: "type-based relocation needs \"0\"") }
            return out
        }
        if let kind, kind.isEnumValueBased {
            switch type(cur) {
            case .enumeration?, .enumeration64?: break
            default: throw .badAccessString(accessString, reason: "enumerator relocation on non-enum \(out)")
            }
        }
        switch type(cur) {
        case let .enumeration(_, _, _, vs)?, let .enumeration64(_, _, _, vs)?:
            guard indices.count == 1, Int(first) < vs.count else {
                throw .badAccessString(accessString, reason: "enumerator index out of range")
            }
            return "\(out)::\(vs[Int(first)].name)"
        default: break
        }
        if first != 0 { out += "[\(first)]" }
        for idx in indices.dropFirst() {
            switch type(cur) {
            case let .structure(_, _, ms)?, let .union(_, _, ms)?:
                guard Int(idx) < ms.count else {
                    throw .badAccessString(accessString, reason: "member \(idx) of \(cDeclaration(of: cur)) out of range")
                }
                let m = ms[Int(idx)]
                if !m.name.isEmpty { out += ".\(m.name)" }
                cur = skipModifiers(m.type)
            case let .array(e, _, _)?:
                out += "[\(idx)]"
                cur = skipModifiers(e)
            default:
                throw .badAccessString(accessString, reason: "cannot index into \(cDeclaration(of: cur))")
            }
        }
        return out
    }

    /// The DATASEC called `name`, with its type ID.
    public func dataSection(named name: String) -> (id: UInt32, variables: [BTFVarSecInfo])? {
        for (i, t) in types.enumerated() {
            if case let .dataSection(n, _, vs) = t, n == name { return (UInt32(i + 1), vs) }
        }
        return nil
    }

    /// Names of all DATASECs.
    public var dataSectionNames: [String] {
        types.compactMap { if case let .dataSection(n, _, _) = $0 { return n } else { return nil } }
    }

    /// A one-line description of a CO-RE relocation, e.g.
    /// `byte_off struct task_struct.real_parent`; malformed ones say why.
    public func describe(_ relo: CoreRelo) -> String {
        let kindName = relo.kind?.libbpfName ?? "kind#\(relo.rawKind)"
        do {
            return "\(kindName) \(try fieldPath(rootTypeID: relo.typeID, accessString: relo.accessString, kind: relo.kind))"
        } catch {
            return "\(kindName) <\(error)>"
        }
    }
}
