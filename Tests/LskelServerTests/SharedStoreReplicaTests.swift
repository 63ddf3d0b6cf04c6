import Foundation
import LskelTestSupport
import Synchronization
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// lskeld replicas as separate processes on one real PostgreSQL database,
/// over real HTTP on loopback: the shared store as a build farm sees it.
@Suite("Replicas on one database", .serialized, .enabled(if: PostgresServer.available, Comment(rawValue: PostgresServer.skipReason)))
struct SharedStoreReplicaTests {
    /// One lskeld process.
    final class Replica: @unchecked Sendable {
        let process = Process()
        let port: Int
        let directory: String?

        /// `store` is a database URL, or nil for a fresh directory of its own.
        init(store: String?) async throws {
            port = Int.random(in: 20000...40000)
            directory = store == nil ? NSTemporaryDirectory() + "lskeld-replica-\(UUID().uuidString)" : nil
            process.executableURL = URL(fileURLWithPath: CLI.builtExecutable("lskeld"))
            process.arguments = ["--port", String(port), "--store", store ?? directory ?? "", "--log-level", "error",
                                 "--public-dir", Fixtures.packageRoot + "/Public"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try await PostgresStoreTests.waitFor("lskeld on port \(port) to be ready with its store") {
                guard let ready = try? await self.ready() else { return false }
                return ready.status == 200 && ready.store["state"] as? String == "available"
            }
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            if let directory { try? FileManager.default.removeItem(atPath: directory) }
        }

        var base: String { "http://127.0.0.1:\(port)" }

        func ready() async throws -> (status: Int, store: [String: Any], text: String) {
            let (data, response) = try await HTTP.send(base + "/readyz", method: "GET")
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            return (response.statusCode, json?["store"] as? [String: Any] ?? [:], String(decoding: data, as: UTF8.self))
        }

        /// POSTs an object; the status, the key (from Location), whether it was cached, and the tar.
        func post(_ object: [UInt8], name: String) async throws -> (status: Int, key: String?, cached: Bool?, tar: [UInt8]) {
            let url = base + "/v1/loaders?filename=obj.bpf.o&name=\(name)&format=json"
            let (data, response) = try await HTTP.send(url, body: object, contentType: "application/octet-stream")
            guard response.statusCode == 200,
                  let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let key = json["key"] as? String
            else { return (response.statusCode, nil, nil, []) }
            let (status, tar) = try await get(key)
            return (status == 200 ? 200 : status, key, json["cached"] as? Bool, tar)
        }

        /// GET /v1/loaders/{key}/tar: the status and the bytes.
        func get(_ key: String) async throws -> (Int, [UInt8]) {
            let (data, response) = try await HTTP.send(base + "/v1/loaders/\(key)/tar", method: "GET")
            return (response.statusCode, [UInt8](data))
        }

        func kill9() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    @Test("two replicas on one database answer each other's keys; /readyz names the store without its password")
    func replicasShareKeys() async throws {
        let server = try await PostgresServer.make()
        let first = try await Replica(store: server.url)
        let second = try await Replica(store: server.url)
        let object = try Fixtures.bytes("rt_tracee_like")
        let made = try await first.post(object, name: "shared")
        let key = try #require(made.key)
        #expect(made.status == 200 && made.cached == false)
        // Written in the background: the other replica finds it once the row is in.
        try await PostgresStoreTests.waitFor("the row") { try await server.query("SELECT count(*) FROM lskel_loaders") == "1" }
        let (status, tar) = try await second.get(key)
        #expect(status == 200)
        #expect(tar == made.tar, "the other replica's loader is byte-identical")
        let again = try await second.post(object, name: "shared")
        #expect(again.cached == true && again.tar == made.tar)
        for replica in [first, second] {
            let ready = try await replica.ready()
            #expect(ready.store["kind"] as? String == "postgres")
            #expect(ready.store["location"] as? String == "postgres://lskel@127.0.0.1:\(server.port)/lskel")
            #expect(!ready.text.contains(server.password))
        }
    }

    /// Objects with a name each: every one is its own key, so its own generation and write.
    static func workload(_ count: Int) throws -> [(object: [UInt8], name: String)] {
        let objects = try ["rt_tracee_like", "rt_tetragon_sensors", "rt_cilium_tc", "rt_pwru_like"].map { try Fixtures.bytes($0) }
        return (0..<count).map { (objects[$0 % objects.count], "skel_\($0)") }
    }

    @Test("a replica killed with SIGKILL while writing leaves only whole loaders: every row is served as a fresh generation makes it")
    func killedWhileWriting() async throws {
        let server = try await PostgresServer.make()
        let work = try Self.workload(24)
        let victim = try await Replica(store: server.url)
        let answered = Shared(0)
        // Four requests at a time; SIGKILL once eight were answered, with writes in flight.
        await withTaskGroup(of: Void.self) { group in
            for lane in 0..<4 {
                group.addTask {
                    for index in stride(from: lane, to: work.count, by: 4) {
                        guard let made = try? await victim.post(work[index].object, name: work[index].name), made.status == 200 else { return }
                        let count = answered.withLock { $0 += 1; return $0 }
                        if count == 8 { victim.kill9() }
                    }
                }
            }
        }
        // A COMMIT the server had received before the kill still completes: count the rows only
        // once every connection of the killed replica is gone, so none lands after the count.
        try await PostgresStoreTests.waitFor("the killed replica's connections to close") {
            try await server.query("""
                SELECT count(*) FROM pg_stat_activity
                WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
                """) == "0"
        }
        let rows = Int(try await server.query("SELECT count(*) FROM lskel_loaders")) ?? -1
        #expect(rows >= 1 && rows < work.count, "rows after the kill: \(rows)")

        let survivor = try await Replica(store: server.url)
        let fresh = try await Replica(store: nil)
        var cached = 0
        for item in work {
            let served = try await survivor.post(item.object, name: item.name)
            let expected = try await fresh.post(item.object, name: item.name)
            #expect(served.status == 200 && served.tar == expected.tar, "\(item.name)")
            if served.cached == true { cached += 1 }
        }
        #expect(cached == rows, "every row the killed replica left was served from the store")
    }

    @Test("the database stopped and restarted under load: every request answered (generated meanwhile), /readyz says so, then shared again")
    func databaseRestartUnderLoad() async throws {
        let server = try await PostgresServer.make()
        let first = try await Replica(store: server.url)
        let second = try await Replica(store: server.url)
        let work = try Self.workload(400)
        let next = Shared(0), failures = Shared<[String]>([]), served = Shared(0), stop = Shared(false)
        let answers = Shared<[String: [UInt8]]>([:])
        // Two clients: POST new objects to the first replica, GET earlier keys from the second.
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        while !stop.withLock({ $0 }) {
                            let index = next.withLock { $0 += 1; return $0 - 1 }
                            guard index < work.count else { return }
                            do {
                                let made = try await first.post(work[index].object, name: work[index].name)
                                guard made.status == 200, let key = made.key else {
                                    failures.withLock { $0.append("POST \(work[index].name): \(made.status)") }
                                    continue
                                }
                                let earlier = answers.withLock { dict -> (String, [UInt8])? in
                                    dict[key] = made.tar
                                    return dict.randomElement()
                                }
                                if let (oldKey, oldTar) = earlier {
                                    let (status, tar) = try await second.get(oldKey)
                                    // A miss is allowed while the database is away; a wrong loader never.
                                    if status == 200 && tar != oldTar { failures.withLock { $0.append("GET \(oldKey): other bytes") } }
                                    if status != 200 && status != 404 { failures.withLock { $0.append("GET \(oldKey): \(status)") } }
                                }
                                served.withLock { $0 += 1 }
                            } catch {
                                failures.withLock { $0.append("\(error)") }
                            }
                        }
                    }
                }
            }
        }
        try await PostgresStoreTests.waitFor("load before the stop") { served.withLock { $0 } >= 6 }
        try await server.halt()
        try await PostgresStoreTests.waitFor("/readyz to report the store unavailable") {
            let ready = try await first.ready()
            return ready.status == 200 && ready.store["state"] as? String == "unavailable"
        }
        let duringOutage = served.withLock { $0 }
        try await PostgresStoreTests.waitFor("load while the database is away") { served.withLock { $0 } >= duringOutage + 6 }
        try await server.resume()
        for replica in [first, second] {
            try await PostgresStoreTests.waitFor("/readyz to report the store available again") {
                try await replica.ready().store["state"] as? String == "available"
            }
        }
        let afterRestart = served.withLock { $0 }
        try await PostgresStoreTests.waitFor("load after the restart") { served.withLock { $0 } >= afterRestart + 6 }
        stop.withLock { $0 = true }
        await load.value
        #expect(failures.withLock { $0 } == [], "every request was answered, and never with other bytes")
        // Shared again: a loader made on the first replica now is served by the second.
        let made = try await first.post(try Fixtures.bytes("rt_cilium_xdp"), name: "after_restart")
        let key = try #require(made.key)
        try await PostgresStoreTests.waitFor("the second replica to serve a key made on the first after the restart") {
            try await second.get(key).0 == 200
        }
        #expect(try await second.get(key).1 == made.tar)
        let failed = try await first.ready().store["failures"] as? Int ?? 0
        #expect(failed >= 1, "the outage is counted")
    }
}

/// A value several tasks change, behind a lock.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
