/// The relocation manifest, version 1: a reviewable account of what a loader
/// will do. Encoded as JSON with snake_case keys (see
/// `Public/schema/manifest-v1.json`); ``Manifest/jsonKeyStyle`` documents the rule.
///
/// Every relocation carries its **final** instruction index in the loaded
/// program, after libbpf has appended the subprograms it calls, and its origin
/// in the ELF object.
public struct Manifest: Sendable, Hashable, Codable {
    public static let version = 1
    /// Keys are the property names converted to snake_case (`insnsSha256` -> `insns_sha256`).
    public static let jsonKeyStyle = "snake_case"

    public var manifestVersion: Int = Manifest.version
    public var object: ObjectInfo
    public var generator: GeneratorInfo
    public var profile: ProfileRecord
    public var loader: LoaderInfo
    public var maps: [MapRecord]
    public var programs: [ProgramRecord]
    public var externs: [ExternRecord]
    public var warnings: [Warning]
    /// Present for a signed loader: what was signed, how, and what the loader expects.
    public var signature: SignatureRecord? = nil

    public init(object: ObjectInfo, generator: GeneratorInfo, profile: ProfileRecord, loader: LoaderInfo,
                maps: [MapRecord], programs: [ProgramRecord], externs: [ExternRecord], warnings: [Warning]) {
        self.object = object
        self.generator = generator
        self.profile = profile
        self.loader = loader
        self.maps = maps
        self.programs = programs
        self.externs = externs
        self.warnings = warnings
    }

    public struct ObjectInfo: Sendable, Hashable, Codable {
        public var name: String
        public var sha256: String
        public var size: Int
        /// "little" or "big".
        public var byteOrder: String
        public var license: String?
        /// The `version` section, if the object has one.
        public var kernelVersion: UInt32?
        public var btfTypeCount: Int

        public init(name: String, sha256: String, size: Int, byteOrder: String, license: String?, kernelVersion: UInt32?, btfTypeCount: Int) {
            self.name = name
            self.sha256 = sha256
            self.size = size
            self.byteOrder = byteOrder
            self.license = license
            self.kernelVersion = kernelVersion
            self.btfTypeCount = btfTypeCount
        }
    }

    public struct GeneratorInfo: Sendable, Hashable, Codable {
        public var lskeldVersion: String
        public var libbpfVersion: String
        /// The tool whose output ours matches byte for byte.
        public var reference: String

        public init(lskeldVersion: String, libbpfVersion: String, reference: String) {
            self.lskeldVersion = lskeldVersion
            self.libbpfVersion = libbpfVersion
            self.reference = reference
        }
    }

    /// One profile value and whether this object's loader depends on it.
    public struct ProfileValue<Value: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
        public var value: Value
        public var consumed: Bool
        /// "request" when the request gave it, "default" otherwise.
        public var source: String

        public init(value: Value, consumed: Bool, source: String) {
            self.value = value
            self.consumed = consumed
            self.source = source
        }
    }

    /// Every host-dependent value baked into the loader.
    public struct ProfileRecord: Sendable, Hashable, Codable {
        public var kernelRelease: ProfileValue<String?>
        /// `KERNEL_VERSION(major, minor, patch)` of the release, as libbpf computes it.
        public var kernelVersionCode: UInt32?
        public var cpus: ProfileValue<Int>
        public var pageSize: ProfileValue<Int>
        /// SHA-256 of the kernel config text, and the CONFIG_* values the object read from it.
        public var kconfig: ProfileValue<String?>
        public var kconfigValues: [String: String]
        public var maxEntries: ProfileValue<[String: UInt32]>

        public init(kernelRelease: ProfileValue<String?>, kernelVersionCode: UInt32?, cpus: ProfileValue<Int>,
                    pageSize: ProfileValue<Int>, kconfig: ProfileValue<String?>, kconfigValues: [String: String],
                    maxEntries: ProfileValue<[String: UInt32]>) {
            self.kernelRelease = kernelRelease
            self.kernelVersionCode = kernelVersionCode
            self.cpus = cpus
            self.pageSize = pageSize
            self.kconfig = kconfig
            self.kconfigValues = kconfigValues
            self.maxEntries = maxEntries
        }
    }

    public struct LoaderInfo: Sendable, Hashable, Codable {
        public var skeletonName: String
        public var insnsSize: Int
        public var insnsSha256: String
        public var dataSize: Int
        public var dataSha256: String
        public var headerSha256: String
        /// `skel->ctx.sz`: the context the loader program reads and writes.
        public var ctxSize: Int
        /// Descriptor index of each map (`skel->maps.<ident>`) and program (`skel->progs.<name>`).
        public var mapDescriptors: [Descriptor]
        public var programDescriptors: [Descriptor]

        public init(skeletonName: String, insnsSize: Int, insnsSha256: String, dataSize: Int, dataSha256: String,
                    headerSha256: String, ctxSize: Int, mapDescriptors: [Descriptor], programDescriptors: [Descriptor]) {
            self.skeletonName = skeletonName
            self.insnsSize = insnsSize
            self.insnsSha256 = insnsSha256
            self.dataSize = dataSize
            self.dataSha256 = dataSha256
            self.headerSha256 = headerSha256
            self.ctxSize = ctxSize
            self.mapDescriptors = mapDescriptors
            self.programDescriptors = programDescriptors
        }
    }

    public struct Descriptor: Sendable, Hashable, Codable {
        public var name: String
        public var index: Int
        /// Byte offset of the descriptor in the skeleton struct.
        public var offset: Int

        public init(name: String, index: Int, offset: Int) {
            self.name = name
            self.index = index
            self.offset = offset
        }
    }

    public struct MapRecord: Sendable, Hashable, Codable {
        public var name: String
        public var ident: String?
        /// libbpf's index of the map (the imm of a map-index ld_imm64).
        public var index: Int
        public var type: UInt32
        public var typeName: String
        public var keySize: UInt32
        public var valueSize: UInt32
        public var maxEntries: UInt32
        /// "object", "profile" (cpus, page size) or "override" (max_entries).
        public var maxEntriesSource: String
        public var flags: UInt32
        public var innerMap: String?
        /// The ELF section whose bytes initialise it (global data maps).
        public var initialDataSection: String?
        public var frozen: Bool
        public var mmapable: Bool

        public init(name: String, ident: String?, index: Int, type: UInt32, typeName: String, keySize: UInt32, valueSize: UInt32,
                    maxEntries: UInt32, maxEntriesSource: String, flags: UInt32, innerMap: String?,
                    initialDataSection: String?, frozen: Bool, mmapable: Bool) {
            self.name = name
            self.ident = ident
            self.index = index
            self.type = type
            self.typeName = typeName
            self.keySize = keySize
            self.valueSize = valueSize
            self.maxEntries = maxEntries
            self.maxEntriesSource = maxEntriesSource
            self.flags = flags
            self.innerMap = innerMap
            self.initialDataSection = initialDataSection
            self.frozen = frozen
            self.mmapable = mmapable
        }
    }

    public struct ProgramRecord: Sendable, Hashable, Codable {
        public var name: String
        public var section: String
        public var type: UInt32
        public var typeName: String
        public var expectedAttachType: UInt32
        public var expectedAttachTypeName: String
        /// What the loader looks up to attach (kernel function, tracepoint, hook), if anything.
        public var attachTarget: String?
        public var insnCount: Int
        public var funcInfoCount: Int
        public var lineInfoCount: Int
        /// Subprograms libbpf appended, in order, with their final start index.
        public var subprograms: [SubprogramRecord]
        public var relocations: [Relocation]
        /// Whether the loader loads it: false for `SEC("?...")` programs, which get no instructions and fd 0.
        public var autoload: Bool

        public init(name: String, section: String, type: UInt32, typeName: String, expectedAttachType: UInt32,
                    expectedAttachTypeName: String, attachTarget: String?, insnCount: Int, funcInfoCount: Int,
                    lineInfoCount: Int, subprograms: [SubprogramRecord], relocations: [Relocation], autoload: Bool) {
            self.autoload = autoload
            self.name = name
            self.section = section
            self.type = type
            self.typeName = typeName
            self.expectedAttachType = expectedAttachType
            self.expectedAttachTypeName = expectedAttachTypeName
            self.attachTarget = attachTarget
            self.insnCount = insnCount
            self.funcInfoCount = funcInfoCount
            self.lineInfoCount = lineInfoCount
            self.subprograms = subprograms
            self.relocations = relocations
        }

        /// Through ``PrettyJSONEncoder`` the record writes itself (ManifestDirectJSON.swift);
        /// any other encoder gets the members one by one.
        public func encode(to encoder: any Encoder) throws {
            if let tree = encoder as? PrettyJSONEncoder.TreeEncoder {
                tree.root.node = .direct(self)
                return
            }
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(section, forKey: .section)
            try container.encode(type, forKey: .type)
            try container.encode(typeName, forKey: .typeName)
            try container.encode(expectedAttachType, forKey: .expectedAttachType)
            try container.encode(expectedAttachTypeName, forKey: .expectedAttachTypeName)
            try container.encodeIfPresent(attachTarget, forKey: .attachTarget)
            try container.encode(insnCount, forKey: .insnCount)
            try container.encode(funcInfoCount, forKey: .funcInfoCount)
            try container.encode(lineInfoCount, forKey: .lineInfoCount)
            try container.encode(subprograms, forKey: .subprograms)
            try container.encode(relocations, forKey: .relocations)
            try container.encode(autoload, forKey: .autoload)
        }
    }

    public struct SubprogramRecord: Sendable, Hashable, Codable {
        public var name: String
        public var section: String
        public var insn: Int
        public var insnCount: Int

        public init(name: String, section: String, insn: Int, insnCount: Int) {
            self.name = name
            self.section = section
            self.insn = insn
            self.insnCount = insnCount
        }
    }

    /// Where an instruction came from in the ELF object.
    public struct Origin: Sendable, Hashable, Codable {
        public var section: String
        /// Byte offset of the instruction in its section.
        public var insnOffset: Int

        public init(section: String, insnOffset: Int) {
            self.section = section
            self.insnOffset = insnOffset
        }
    }

    public struct Relocation: Sendable, Hashable, Codable {
        /// Final instruction index in the loaded program.
        public var insn: Int
        public var origin: Origin?
        /// map, map_value, call, func_ref (a callback's address: ld_imm64 with BPF_PSEUDO_FUNC), core, ksym, kfunc, kconfig.
        public var kind: String
        /// Map name (map, map_value, kconfig), callee (call, func_ref), extern name (ksym, kfunc, kconfig).
        public var name: String?
        /// Offset into the map value (map_value, kconfig).
        public var offset: Int?
        /// Final index of the callee's first instruction (call, func_ref).
        public var target: Int?
        /// CO-RE details.
        public var coreKind: String?
        public var rootType: String?
        public var access: String?
        public var fieldPath: String?
        /// ksym and kfunc details.
        public var weak: Bool?
        public var typed: Bool?
        /// kconfig: the value baked in.
        public var value: String?

        public init(insn: Int, origin: Origin?, kind: String, name: String? = nil, offset: Int? = nil, target: Int? = nil,
                    coreKind: String? = nil, rootType: String? = nil, access: String? = nil, fieldPath: String? = nil,
                    weak: Bool? = nil, typed: Bool? = nil, value: String? = nil) {
            self.insn = insn
            self.origin = origin
            self.kind = kind
            self.name = name
            self.offset = offset
            self.target = target
            self.coreKind = coreKind
            self.rootType = rootType
            self.access = access
            self.fieldPath = fieldPath
            self.weak = weak
            self.typed = typed
            self.value = value
        }
    }

    public struct ExternRecord: Sendable, Hashable, Codable {
        public var name: String
        /// kconfig, ksym or kfunc.
        public var kind: String
        public var weak: Bool
        public var typed: Bool?
        /// kconfig: the value baked in; ksyms and kfuncs resolve at load time.
        public var value: String?
        /// Where the value comes from: profile, libbpf (virtual LINUX_*), default (weak, absent), load time.
        public var resolution: String

        public init(name: String, kind: String, weak: Bool, typed: Bool?, value: String?, resolution: String) {
            self.name = name
            self.kind = kind
            self.weak = weak
            self.typed = typed
            self.value = value
            self.resolution = resolution
        }
    }

    public struct Warning: Sendable, Hashable, Codable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }
}
