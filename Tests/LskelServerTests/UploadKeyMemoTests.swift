import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LskelModel
import LskelTestSupport
import NIOCore
import Testing
@testable import LskelServer

/// A key from the memo must be the key SHA-256 gives, for every upload: the
/// memo only ever saves the hashing.
@Suite("Upload key memo")
struct UploadKeyMemoTests {
    static func sha(_ object: [UInt8], _ name: String, _ profile: TargetProfile) -> String {
        StoredLoader.key(object: object, name: name, profile: profile, generatorVersion: LoaderService.generatorVersion)
    }

    /// The memo's key, and whether it hashed.
    static func lookUp(_ memo: UploadKeyMemo, _ object: [UInt8], _ name: String, _ profile: TargetProfile = TargetProfile())
        -> (key: String, hashed: Bool) {
        var hashed = false
        let key = memo.key(object: object, name: name, profile: profile) {
            hashed = true
            return sha(object, name, profile)
        }
        return (key, hashed)
    }

    @Test("the same object, name and profile again is found without hashing, under the same key")
    func repeatHits() throws {
        let memo = UploadKeyMemo(budgetBytes: 64 << 20)
        let object = try Fixtures.bytes("rt_execsnoop")
        let first = Self.lookUp(memo, object, "x")
        let second = Self.lookUp(memo, Array(object), "x")
        #expect(first.hashed && !second.hashed)
        #expect(first.key == second.key && second.key == Self.sha(object, "x", TargetProfile()))
        #expect(memo.counts == (1, 1))
    }

    @Test("one byte, the name or the profile different: hashed, and its own key")
    func differencesHash() throws {
        let memo = UploadKeyMemo(budgetBytes: 64 << 20)
        let object = try Fixtures.bytes("rt_execsnoop")
        _ = Self.lookUp(memo, object, "x")
        // A byte between the sampled windows: same fingerprint, different object.
        let fingerprint = UploadKeyMemo.fingerprint(object, name: "x")
        let position = try #require((object.count / 2..<object.count).first { position in
            var changed = object
            changed[position] ^= 0x40
            return UploadKeyMemo.fingerprint(changed, name: "x") == fingerprint
        })
        var changed = object
        changed[position] ^= 0x40
        var cpus = TargetProfile()
        cpus.possibleCPUs = 8
        var kconfig = TargetProfile()
        kconfig.kconfig = "CONFIG_X=y\n"
        for (bytes, name, profile) in [(changed, "x", TargetProfile()), (object, "y", TargetProfile()),
                                       (object, "x", cpus), (object, "x", kconfig)] {
            let found = Self.lookUp(memo, bytes, name, profile)
            #expect(found.hashed)
            #expect(found.key == Self.sha(bytes, name, profile))
            #expect(found.key != Self.sha(object, "x", TargetProfile()))
        }
        // Each of those is remembered in turn.
        #expect(!Self.lookUp(memo, changed, "x").hashed)
        #expect(!Self.lookUp(memo, object, "x", kconfig).hashed)
    }

    @Test("random objects and mutations, around the size where sampling starts (3,072 bytes): every key equals SHA-256's")
    func randomAgree() {
        var generator = SystemRandomNumberGenerator()
        let memo = UploadKeyMemo(budgetBytes: 1 << 20)
        var seen: [[UInt8]] = []
        for round in 0..<400 {
            var object: [UInt8]
            if let base = seen.randomElement(using: &generator), round % 3 != 0 {
                object = base
                if Bool.random(using: &generator), !object.isEmpty {
                    object[Int.random(in: 0..<object.count, using: &generator)] &+= 1
                }
            } else {
                let size = [0, 1, 100, 2111, 3071, 3072, 3073, 5000, 70_000].randomElement(using: &generator) ?? 0
                object = (0..<size).map { _ in UInt8.random(in: 0...3, using: &generator) }
            }
            seen.append(object)
            let name = ["a", "b"].randomElement(using: &generator) ?? "a"
            #expect(Self.lookUp(memo, object, name).key == Self.sha(object, name, TargetProfile()))
        }
        #expect(memo.usage.bytes <= 1 << 20)
    }

    /// The object cut into fragments at `cuts`, as a request body arrives.
    static func fragmented(_ object: [UInt8], cuts: [Int]) -> UploadBody {
        var fragments: [ByteBuffer] = []
        var start = 0
        for cut in (cuts.filter { $0 > 0 && $0 < object.count } + [object.count]).sorted() where cut > start {
            fragments.append(ByteBuffer(bytes: object[start..<cut]))
            start = cut
        }
        return UploadBody(fragments: fragments)
    }

    @Test("an upload in fragments: the same fingerprint and key however it was cut, found again without joining")
    func fragments() throws {
        let object = try Fixtures.bytes("rt_execsnoop")
        var generator = SystemRandomNumberGenerator()
        let whole = UploadKeyMemo.fingerprint(object, name: "x")
        let memo = UploadKeyMemo(budgetBytes: 64 << 20)
        var first = true
        for round in 0..<30 {
            // Cuts anywhere, inside the sampled windows too, and one-byte fragments.
            var cuts = (0..<Int.random(in: 1...40, using: &generator)).map { _ in Int.random(in: 0..<object.count, using: &generator) }
            if round % 3 == 0 { cuts += Array(1000...1040) + Array((object.count - 1030)...(object.count - 1000)) }
            let body = Self.fragmented(object, cuts: cuts)
            #expect(body.count == object.count && UploadKeyMemo.fingerprint(body, name: "x") == whole)
            #expect(body.equals(object))
            var hashed = false
            let key = memo.key(object: body, name: "x", profile: TargetProfile()) {
                hashed = true
                return Self.sha(body.bytes, "x", TargetProfile())
            }
            #expect(key == Self.sha(object, "x", TargetProfile()))
            #expect(hashed == first, "round \(round)")
            first = false
        }
        // A byte changed in the last fragment: not equal, hashed, its own key.
        var changed = object
        changed[object.count - 5] ^= 1
        let body = Self.fragmented(changed, cuts: [object.count / 3, object.count - 20])
        #expect(!body.equals(object))
        var hashed = false
        let key = memo.key(object: body, name: "x", profile: TargetProfile()) {
            hashed = true
            return Self.sha(body.bytes, "x", TargetProfile())
        }
        #expect(hashed && key == Self.sha(changed, "x", TargetProfile()))
        #expect(UploadBody(fragments: []).bytes.isEmpty && UploadBody(fragments: []).equals([]))

        // A memo that keeps the first upload as its fragments (hashed without joining them):
        // later uploads, cut elsewhere, are compared fragment against fragment.
        let unjoined = UploadKeyMemo(budgetBytes: 64 << 20)
        let kept = Self.fragmented(object, cuts: [7, 4096, object.count / 2])
        _ = unjoined.key(object: kept, name: "x", profile: TargetProfile()) { Self.sha(object, "x", TargetProfile()) }
        #expect(kept.unjoinedFragments?.count == 4)
        #expect(unjoined.usage.bytes >= object.count)
        for round in 0..<20 {
            let cuts = (0..<Int.random(in: 1...30, using: &generator)).map { _ in Int.random(in: 0..<object.count, using: &generator) }
            let upload = Self.fragmented(object, cuts: cuts)
            #expect(upload.equals(kept) && kept.equals(upload), "round \(round)")
            let key = unjoined.key(object: upload, name: "x", profile: TargetProfile()) { "hashed" }
            #expect(key == Self.sha(object, "x", TargetProfile()), "round \(round)")
        }
        let other = Self.fragmented(changed, cuts: [5000, object.count - 2])
        #expect(!other.equals(kept) && !kept.equals(other))
        #expect(unjoined.key(object: other, name: "x", profile: TargetProfile()) { "hashed" } == "hashed")
        #expect(kept.unjoinedFragments != nil)
    }

    @Test("bounded by its budget, least recently used out first; a budget of 0 keeps nothing")
    func budget() {
        let memo = UploadKeyMemo(budgetBytes: 10_000)
        let objects = (0..<5).map { index in [UInt8](repeating: UInt8(index), count: 3000) }
        for object in objects.prefix(3) { _ = Self.lookUp(memo, object, "x") }
        #expect(memo.usage == (3, 9000))
        // What a request says before its body: only a length and name it holds can hit.
        #expect(memo.mightHold(count: 3000, name: "x"))
        #expect(!memo.mightHold(count: 3000, name: "y") && !memo.mightHold(count: 2999, name: "x"))
        #expect(!Self.lookUp(memo, objects[0], "x").hashed)  // 0 is now the most recent
        _ = Self.lookUp(memo, objects[3], "x")               // 1 goes
        #expect(memo.usage == (3, 9000))
        #expect(!Self.lookUp(memo, objects[0], "x").hashed)
        #expect(Self.lookUp(memo, objects[1], "x").hashed)
        #expect(memo.usage.bytes <= 10_000)
        // Larger than the whole budget: hashed, never kept.
        let large = [UInt8](repeating: 9, count: 20_000)
        #expect(Self.lookUp(memo, large, "x").hashed && Self.lookUp(memo, large, "x").hashed)

        let one = UploadKeyMemo(budgetBytes: 3000)
        _ = Self.lookUp(one, objects[0], "a")
        _ = Self.lookUp(one, objects[1], "b")  // a goes
        #expect(!one.mightHold(count: 3000, name: "a") && one.mightHold(count: 3000, name: "b"))

        let off = UploadKeyMemo(budgetBytes: 0)
        #expect(!off.mightHold(count: 3000, name: "x"))
        #expect(Self.lookUp(off, objects[0], "x").hashed && Self.lookUp(off, objects[0], "x").hashed)
        #expect(off.usage == (0, 0))
    }

    @Test("over HTTP: a repeated POST is a memo hit with the same key and bytes; with the memo off, the same answers")
    func overHTTP() async throws {
        let object = try Fixtures.bytes("rt_minimal_printk")
        var answers: [[String]] = []
        for budget in [64 << 20, 0] {
            let configuration = TestServer.configuration { $0.keyMemoBytes = budget }
            answers.append(try await TestServer.inProcess(configuration) { client in
                var seen: [String] = []
                for _ in 0..<3 {
                    try await client.execute(uri: "/v1/loaders?name=memo&format=header", method: .post,
                                             headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: object)) { response in
                        #expect(response.status == .ok)
                        seen.append((response.headers[.location] ?? "") + "|" + String(buffer: response.body))
                    }
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    let hits = String(buffer: response.body).split(separator: "\n")
                        .first { $0.hasPrefix("lskeld_key_memo_hits_total ") }.map { String($0.split(separator: " ")[1]) }
                    #expect(hits == (budget > 0 ? "2" : "0"))
                }
                return seen
            })
        }
        #expect(Set(answers[0]).count == 1 && answers[0] == answers[1])
        #expect(answers[0][0].hasPrefix("/v1/loaders/" + Self.sha(object, "memo", TargetProfile())))
    }
}
