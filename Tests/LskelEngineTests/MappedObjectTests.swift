import BPFObject
import Foundation
import Glibc
import LskelTestSupport
import Testing
@testable import LskelEngine

/// The object read in place (`ObjectBytes`): `lskel gen` maps the file, a job
/// reads its request into memory it hands over; both must give what a copy in
/// an array gives.
@Suite("Objects read in place")
struct MappedObjectTests {
    /// The fixture's file mapped read-only.
    static func mapped(_ fixture: String) throws -> ObjectBytes {
        let path = try Fixtures.object(fixture)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        try #require(descriptor >= 0, "cannot open \(path)")
        defer { close(descriptor) }
        var info = stat()
        try #require(fstat(descriptor, &info) == 0)
        return try #require(ObjectBytes.mapping(descriptor: descriptor, size: Int(info.st_size)))
    }

    static func outcome(_ object: ObjectBytes, _ fixture: String) -> String {
        do {
            let summary = try ObjectReader.summary(object)
            let loader = try LoaderGenerator.generate(object: object, name: Fixtures.skeletonName(fixture),
                                                      profile: Fixtures.hostProfile, elf: summary.elf)
            let manifest = try ManifestBuilder.build(objectName: "\(fixture).bpf.o", object: object, loader: loader,
                                                     profile: Fixtures.hostProfile, summary: summary)
            let json = String(decoding: try ManifestJSON.encode(manifest), as: UTF8.self)
            return loader.header + "\n" + SHA256.hex(loader.insns) + " " + SHA256.hex(loader.data) + "\n" + json
        } catch {
            return "refused: \(error)"
        }
    }

    // The mapping is PROT_READ: a write by libelf, libbpf or the reader into the
    // image would end the test process, not pass.
    @Test("every fixture mapped read-only gives the header, blobs and manifest of its copy in an array",
          arguments: Fixtures.supported)
    func mappedEqualsCopy(fixture: String) throws {
        let mapped = try Self.mapped(fixture)
        let copy = ObjectBytes(try Fixtures.bytes(fixture))
        #expect(mapped.elementsEqual(copy))
        let fromMapping = Self.outcome(mapped, fixture)
        #expect(!fromMapping.hasPrefix("refused"), "\(fixture): \(fromMapping)")
        #expect(fromMapping == Self.outcome(copy, fixture), "\(fixture) differs read in place")
    }

    @Test("a window of a request keeps it alive; only a regular file's descriptor maps; an empty one is empty")
    func windowsAndMappings() throws {
        let object = try Fixtures.bytes("core")
        let frame = [UInt8](repeating: 0xAA, count: 100) + object + [UInt8](repeating: 0x55, count: 7)
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: frame.count, alignment: 16)
        frame.withUnsafeBytes { memory.copyMemory(from: $0) }
        var window: ObjectBytes? = nil
        do {
            let whole = ObjectBytes(adopting: memory, range: 0..<frame.count)
            window = ObjectBytes(whole, range: 100..<(100 + object.count))
        }
        let part = try #require(window)
        #expect(Array(part) == object)
        #expect(try ObjectReader.summary(part).elf.sections.count == ObjectSummary(bytes: object).elf.sections.count)

        var pipeEnds: [Int32] = [0, 0]
        try #require(pipe(&pipeEnds) == 0)
        defer { close(pipeEnds[0]); close(pipeEnds[1]) }
        #expect(ObjectBytes.mapping(descriptor: pipeEnds[0], size: 4096) == nil, "a pipe cannot be mapped")
        #expect(ObjectBytes.mapping(descriptor: -1, size: 0)?.count == 0)
    }
}
