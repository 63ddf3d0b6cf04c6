import Foundation
import Logging
import LskelModel
@testable import LskelServer
import LskelTestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The shared store on a real PostgreSQL server (a fresh cluster per test,
/// see ``PostgresServer``): the store in process, then lskeld replicas as
/// processes on one database.
@Suite("PostgreSQL store", .serialized, .enabled(if: PostgresServer.available, Comment(rawValue: PostgresServer.skipReason)))
struct PostgresStoreTests {
    static func location(_ server: PostgresServer) throws -> PostgresLocation {
        guard case .postgres(let location) = try StoreLocation(parsing: server.url) else { throw PostgresServer.Failure("not a database") }
        return location
    }

    static func store(_ server: PostgresServer, memory: Int = 1 << 20, budget: Int = 1 << 30) async throws -> PostgresLoaderStore {
        let store = PostgresLoaderStore(location: try location(server), memoryLimit: memory, budget: budget, logger: Logger(label: "test"))
        await store.start()
        try await waitFor("the store to connect (\(await store.report.reason))") { await store.report.state == .available }
        return store
    }

    static func waitFor(_ what: @autoclosure () async -> String, seconds: Double = 20, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        let what = await what()
        Issue.record("timed out after \(seconds) s waiting for \(what)")
        throw PostgresServer.Failure("timed out waiting for \(what)")
    }

    static func same(_ a: StoredLoader?, _ b: StoredLoader) -> Bool {
        guard let a else { return false }
        return a.key == b.key && a.header == b.header && a.insns == b.insns && a.data == b.data && a.manifest == b.manifest
            && a.name == b.name && a.stem == b.stem && a.libbpfLog == b.libbpfLog && a.sandboxLevel == b.sandboxLevel
    }

    @Test("a loader put by one store is read by another on the same database, byte for byte; the table is created once")
    func sharedRoundTrip() async throws {
        let server = try await PostgresServer.make()
        // Two stores connecting at once both create the schema: an advisory lock keeps them apart.
        async let firstStore = Self.store(server)
        async let secondStore = Self.store(server)
        let (first, second) = try await (firstStore, secondStore)
        for index in 0..<20 { await first.put(LoaderStoreTests.loader(index, size: 5000 + index)) }
        await first.flush()
        #expect(try await server.query("SELECT count(*) FROM lskel_loaders") == "20")
        for index in 0..<20 {
            let expected = LoaderStoreTests.loader(index, size: 5000 + index)
            #expect(Self.same(await second.get(expected.key), expected), "loader \(index)")
        }
        #expect(await second.get(String(repeating: "ab", count: 32)) == nil)
        // A refusal is kept the same way.
        let refusal = StoredLoader(key: String(repeating: "cd", count: 32), name: "s_bpf", stem: "s",
                                   refusal: .init(kind: "struct-ops", detail: "a struct_ops map", libbpfLog: ["libbpf: x"]),
                                   sandboxLevel: "full")
        await first.put(refusal)
        await first.flush()
        #expect(await second.get(refusal.key)?.refusal == refusal.refusal)
        await first.close()
        await second.close()
    }

    @Test("concurrent writers of one key: one row, the same bytes, readable by everyone")
    func concurrentWriters() async throws {
        let server = try await PostgresServer.make()
        var stores: [PostgresLoaderStore] = []
        for _ in 0..<4 { stores.append(try await Self.store(server)) }
        let loader = LoaderStoreTests.loader(42, size: 200_000)
        await withTaskGroup(of: Void.self) { group in
            for store in stores { group.addTask { await store.put(loader); await store.flush() } }
        }
        #expect(try await server.query("SELECT count(*) FROM lskel_loaders") == "1")
        let reader = try await Self.store(server)
        #expect(Self.same(await reader.get(loader.key), loader))
        #expect(await stores.asyncAllSatisfy { await $0.report.failures == 0 })
        for store in stores + [reader] { await store.close() }
    }

    @Test("a row whose frame does not check out is a miss and is deleted, never a wrong loader")
    func corruptRow() async throws {
        let server = try await PostgresServer.make()
        let store = try await Self.store(server)
        let good = LoaderStoreTests.loader(1), other = LoaderStoreTests.loader(2)
        await store.put(good)
        await store.put(other)
        await store.flush()
        // One row gets another's bytes (digest and all), one has a byte flipped.
        try await server.query("UPDATE lskel_loaders SET frame = (SELECT frame FROM lskel_loaders WHERE key = '\(other.key)'), frame_sha256 = (SELECT frame_sha256 FROM lskel_loaders WHERE key = '\(other.key)') WHERE key = '\(good.key)'")
        try await server.query("UPDATE lskel_loaders SET frame = overlay(frame placing '\\xff'::bytea from 40 for 1) WHERE key = '\(other.key)'")
        let reader = try await Self.store(server)
        #expect(await reader.get(good.key) == nil)
        #expect(await reader.get(other.key) == nil)
        #expect(try await server.query("SELECT count(*) FROM lskel_loaders") == "0")
        await store.close()
        await reader.close()
    }

    @Test("the budget holds for every replica: least recently used rows go first, reads count as uses")
    func eviction() async throws {
        let server = try await PostgresServer.make()
        // The budget holds five of these loaders' frames, not six.
        let frames = try (0..<8).map { try #require(StoredLoaderFrame.encode(LoaderStoreTests.loader($0, size: 10_000))).count }
        let budget = frames[0..<5].reduce(0, +) + frames.min()! / 2
        // Tiny memory caches, so reads go to the database.
        let writer = try await Self.store(server, memory: 1, budget: budget)
        let other = try await Self.store(server, memory: 1, budget: budget)
        var loaders: [StoredLoader] = []
        for index in 0..<5 {
            loaders.append(LoaderStoreTests.loader(index, size: 10_000))
            await writer.put(loaders[index])
            await writer.flush()
        }
        #expect(try await server.query("SELECT count(*) FROM lskel_loaders") == "5")
        // The oldest two are read on the other replica: now the newest uses.
        #expect(Self.same(await other.get(loaders[0].key), loaders[0]))
        #expect(Self.same(await other.get(loaders[1].key), loaders[1]))
        for index in 5..<8 {
            loaders.append(LoaderStoreTests.loader(index, size: 10_000))
            await other.put(loaders[index])
            await other.flush()
        }
        let kept = Set(try await server.query("SELECT key FROM lskel_loaders").split(separator: "\n").map(String.init))
        #expect(kept == Set([0, 1, 5, 6, 7].map { loaders[$0].key }), "kept \(kept.count)")
        let bytes = try #require(Int(try await server.query("SELECT sum(bytes) FROM lskel_loaders")))
        #expect(bytes <= budget)
        #expect(await writer.get(loaders[2].key) == nil)
        await writer.close()
        await other.close()
    }

    @Test("the database goes away and comes back: misses meanwhile, at once, and the report says so; then rows again")
    func databaseOutage() async throws {
        let server = try await PostgresServer.make()
        let store = try await Self.store(server, memory: 1)
        let before = LoaderStoreTests.loader(1)
        await store.put(before)
        await store.flush()
        try await server.halt()
        // The first operation after the stop finds out; later ones do not wait.
        _ = await store.get(before.key)
        let report = await store.report
        #expect(report.state == .unavailable, "\(report)")
        #expect(!report.reason.isEmpty && !report.reason.contains(server.password))
        let start = ContinuousClock.now
        for _ in 0..<50 { #expect(await store.get(before.key) == nil) }
        await store.put(LoaderStoreTests.loader(2))
        await store.flush()
        #expect(ContinuousClock.now - start < .seconds(1), "reads and writes while unavailable wait on nothing")
        try await server.resume()
        try await Self.waitFor("the store to answer again") { await store.report.state == .available }
        #expect(Self.same(await store.get(before.key), before))
        let after = LoaderStoreTests.loader(3)
        await store.put(after)
        await store.flush()
        #expect(try await server.query("SELECT count(*) FROM lskel_loaders WHERE key = '\(after.key)'") == "1")
        await store.close()
    }

    @Test("store URLs: user, password, host, port, database and sslmode; the password never in the description")
    func locations() throws {
        let full = try StoreLocation(parsing: "postgres://build:s3cr%40t@db.example:6543/loaders?sslmode=require", environment: [:])
        #expect(full == .postgres(PostgresLocation(host: "db.example", port: 6543, user: "build", password: "s3cr@t",
                                                   database: "loaders", tls: .require)))
        #expect(full.description == "postgres://build@db.example:6543/loaders?sslmode=require")
        let fromEnvironment = try StoreLocation(parsing: "postgresql://build@[::1]/loaders", environment: ["PGPASSWORD": "pw"])
        #expect(fromEnvironment == .postgres(PostgresLocation(host: "::1", user: "build", password: "pw", database: "loaders")))
        #expect(fromEnvironment.description == "postgres://build@[::1]:5432/loaders")
        #expect(try StoreLocation(parsing: "/var/lib/lskeld", environment: [:]) == .directory("/var/lib/lskeld"))
        for bad in ["postgres://db.example/loaders", "postgres://u@/loaders", "postgres://u@h:5432/", "postgres://u@h/a/b",
                    "postgres://u:pw@h/d?sslmode=maybe", "postgres://u@h/d?pool=3", "mysql://u:pw@h/d", ""] {
            let error = #expect(throws: ServerConfigurationError.self, "\(bad)") { try StoreLocation(parsing: bad, environment: [:]) }
            #expect(!"\(error.map { "\($0)" } ?? "")".contains("pw@"), "\(String(describing: error))")
        }
    }
}

extension Array {
    func asyncAllSatisfy(_ predicate: (Element) async -> Bool) async -> Bool {
        for element in self where !(await predicate(element)) { return false }
        return true
    }
}
