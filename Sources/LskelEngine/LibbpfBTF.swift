import BPFObject
import CLibbpf

/// The data sections (DATASEC types) of the BTF libbpf holds for an opened
/// object, with their variables as libbpf laid them out: the one walk over
/// libbpf's BTF that the header, the kconfig layout and the ksym list share.
struct LibbpfBTF {
    let btf: OpaquePointer

    /// One variable of a data section.
    struct Variable {
        var info: btf_var_secinfo
        var type: UnsafePointer<btf_type>
        var name: String

        var isStatic: Bool { btf_var(type).pointee.linkage == BTFVarLinkage.static.rawValue }

        var layout: DataSectionVariable {
            DataSectionVariable(name: name, offset: Int(info.offset), size: Int(info.size), typeID: type.pointee.type)
        }
    }

    /// One DATASEC type.
    struct DataSection {
        var name: String
        var type: UnsafePointer<btf_type>
    }

    init?(_ btf: OpaquePointer?) {
        guard let btf else { return nil }
        self.btf = btf
    }

    var dataSections: [DataSection] {
        var sections: [DataSection] = []
        let count = btf__type_cnt(btf)
        var id: UInt32 = 1
        while id < count {
            defer { id += 1 }
            guard let type = btf__type_by_id(btf, id), btf_is_datasec(type),
                  let name = String(optionalCString: btf__name_by_offset(btf, type.pointee.name_off)) else { continue }
            sections.append(DataSection(name: name, type: type))
        }
        return sections
    }

    func dataSection(named name: String) -> DataSection? {
        dataSections.first { $0.name == name }
    }

    /// The first DATASEC whose bpftool identifier (`get_datasec_ident`) is `ident`.
    func dataSection(ident: String) -> DataSection? {
        dataSections.first { Self.ident(ofSection: $0.name) == ident }
    }

    /// The VARs of a data section, in order (libbpf 1.1 does not check that a DATASEC lists only VARs).
    func variables(of section: DataSection) -> [Variable] {
        guard let infos = btf_var_secinfos(section.type) else { return [] }
        return (0..<Int(btf_vlen(section.type))).compactMap { index in
            let info = infos[index]
            guard let variable = btf__type_by_id(btf, info.type), btf_is_var(variable) else { return nil }
            let name = String(optionalCString: btf__name_by_offset(btf, variable.pointee.name_off)) ?? ""
            return Variable(info: info, type: variable, name: name)
        }
    }

    /// The variables of the section named `name` with the offsets libbpf assigned.
    func layout(ofSection name: String) -> [DataSectionVariable] {
        dataSection(named: name).map { variables(of: $0).map(\.layout) } ?? []
    }

    /// bpftool's `get_datasec_ident`: `.data`, `.rodata`, `.bss` and `.kconfig` sections
    /// (and `.data.X`, `.rodata.X`) by their name without the dot, sanitised.
    static func ident(ofSection sectionName: String) -> String? {
        for prefix in [".data", ".rodata", ".bss", ".kconfig"] where sectionName.utf8.starts(with: prefix.utf8) {
            return SkeletonName.sanitize(String(sectionName.dropFirst()))
        }
        return nil
    }
}
