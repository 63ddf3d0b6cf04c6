/// The skeleton struct a light-skeleton loader fills (skel_internal.h): a
/// `struct bpf_loader_ctx`, then a `struct bpf_map_desc` per map with a
/// skeleton identifier, then a `struct bpf_prog_desc` per program.
enum LoaderContextLayout {
    static let contextSize = 24
    static let mapDescriptorSize = 16
    static let programDescriptorSize = 4

    static func mapOffset(_ index: Int) -> Int { contextSize + mapDescriptorSize * index }

    static func programOffset(_ index: Int, maps: Int) -> Int { mapOffset(maps) + programDescriptorSize * index }

    /// `skel->ctx.sz` up to the end of the program descriptors.
    static func size(maps: Int, programs: Int) -> Int { programOffset(programs, maps: maps) }
}
