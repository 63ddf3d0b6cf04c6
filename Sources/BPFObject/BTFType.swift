/// A member of a BTF struct or union.
public struct BTFMember: Sendable, Equatable {
    /// Member name ("" for an anonymous member).
    public var name: String
    /// Member type ID.
    public var type: UInt32
    /// Offset in bits from the start of the aggregate.
    public var bitOffset: UInt32
    /// Bitfield size in bits (0 if not a bitfield or if the aggregate's kind_flag is clear).
    public var bitfieldSize: UInt32
}

/// An enumerator of a BTF enum (32- or 64-bit).
public struct BTFEnumerator: Sendable, Equatable {
    /// Enumerator name.
    public var name: String
    /// Value, as the raw 64-bit pattern (sign-extended for signed 32-bit enums).
    public var value: Int64
}

/// A parameter of a BTF function prototype.
public struct BTFParameter: Sendable, Equatable {
    /// Parameter name ("" when unnamed).
    public var name: String
    /// Parameter type ID (0 with an empty name marks a trailing `...`).
    public var type: UInt32
}

/// A variable placed in a BTF DATASEC.
public struct BTFVarSecInfo: Sendable, Equatable {
    /// The VAR (or FUNC for externs) type ID.
    public var type: UInt32
    /// Byte offset in the section.
    public var offset: UInt32
    /// Size in bytes.
    public var size: UInt32
}

/// One BTF type, by kind, with its kind-specific data. Type ID 0 is `void`
/// and has no `BTFType`.
public enum BTFType: Sendable, Equatable {
    /// BTF_KIND_INT (1). `encoding` bits: 1 signed, 2 char, 4 bool.
    case int(name: String, size: UInt32, encoding: UInt8, bitOffset: UInt8, bits: UInt8)
    /// BTF_KIND_PTR (2).
    case pointer(target: UInt32)
    /// BTF_KIND_ARRAY (3).
    case array(element: UInt32, index: UInt32, count: UInt32)
    /// BTF_KIND_STRUCT (4).
    case structure(name: String, size: UInt32, members: [BTFMember])
    /// BTF_KIND_UNION (5).
    case union(name: String, size: UInt32, members: [BTFMember])
    /// BTF_KIND_ENUM (6).
    case enumeration(name: String, size: UInt32, isSigned: Bool, values: [BTFEnumerator])
    /// BTF_KIND_FWD (7).
    case forward(name: String, isUnion: Bool)
    /// BTF_KIND_TYPEDEF (8).
    case typedef(name: String, target: UInt32)
    /// BTF_KIND_VOLATILE (9).
    case volatile(target: UInt32)
    /// BTF_KIND_CONST (10).
    case const(target: UInt32)
    /// BTF_KIND_RESTRICT (11).
    case restrict(target: UInt32)
    /// BTF_KIND_FUNC (12). Linkage: 0 static, 1 global, 2 extern.
    case function(name: String, proto: UInt32, linkage: UInt16)
    /// BTF_KIND_FUNC_PROTO (13).
    case functionProto(returnType: UInt32, parameters: [BTFParameter])
    /// BTF_KIND_VAR (14). Linkage: 0 static, 1 global, 2 extern.
    case variable(name: String, type: UInt32, linkage: UInt32)
    /// BTF_KIND_DATASEC (15).
    case dataSection(name: String, size: UInt32, variables: [BTFVarSecInfo])
    /// BTF_KIND_FLOAT (16).
    case float(name: String, size: UInt32)
    /// BTF_KIND_DECL_TAG (17). `componentIndex` is -1 for the whole declaration.
    case declTag(name: String, target: UInt32, componentIndex: Int32)
    /// BTF_KIND_TYPE_TAG (18).
    case typeTag(name: String, target: UInt32)
    /// BTF_KIND_ENUM64 (19).
    case enumeration64(name: String, size: UInt32, isSigned: Bool, values: [BTFEnumerator])

    /// The BTF_KIND_* number of this type.
    public var kind: UInt8 {
        switch self {
        case .int: return 1
        case .pointer: return 2
        case .array: return 3
        case .structure: return 4
        case .union: return 5
        case .enumeration: return 6
        case .forward: return 7
        case .typedef: return 8
        case .volatile: return 9
        case .const: return 10
        case .restrict: return 11
        case .function: return 12
        case .functionProto: return 13
        case .variable: return 14
        case .dataSection: return 15
        case .float: return 16
        case .declTag: return 17
        case .typeTag: return 18
        case .enumeration64: return 19
        }
    }

    /// The type's own name, or "" for kinds without one or anonymous types.
    public var name: String {
        switch self {
        case let .int(n, _, _, _, _), let .structure(n, _, _), let .union(n, _, _),
             let .enumeration(n, _, _, _), let .forward(n, _), let .typedef(n, _),
             let .function(n, _, _), let .variable(n, _, _), let .dataSection(n, _, _),
             let .float(n, _), let .declTag(n, _, _), let .typeTag(n, _),
             let .enumeration64(n, _, _, _):
            return n
        case .pointer, .array, .volatile, .const, .restrict, .functionProto:
            return ""
        }
    }

    /// Every type ID this type refers to.
    public var references: [UInt32] {
        switch self {
        case .int, .forward, .float, .enumeration, .enumeration64: return []
        case let .pointer(t), let .typedef(_, t), let .volatile(t), let .const(t), let .restrict(t),
             let .typeTag(_, t), let .variable(_, t, _), let .declTag(_, t, _), let .function(_, t, _):
            return [t]
        case let .array(e, i, _): return [e, i]
        case let .structure(_, _, m), let .union(_, _, m): return m.map(\.type)
        case let .functionProto(r, p): return [r] + p.map(\.type)
        case let .dataSection(_, _, v): return v.map(\.type)
        }
    }

    /// The single reference that must not form a loop: modifiers, typedefs,
    /// type tags, array elements, pointers, vars, decl tags and funcs. Struct
    /// and union members and function prototype parameters are not followed.
    var chainReference: UInt32? {
        switch self {
        case let .pointer(t), let .typedef(_, t), let .volatile(t), let .const(t), let .restrict(t),
             let .typeTag(_, t), let .variable(_, t, _), let .declTag(_, t, _), let .function(_, t, _):
            return t
        case let .array(e, _, _): return e
        default: return nil
        }
    }
}
