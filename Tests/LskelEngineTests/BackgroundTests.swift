import CLskelSystem
import Foundation
@testable import LskelGen
import LskelTestSupport
import Testing

/// `lskel gen` hashes a large object (and reads the host's kernel config) on a
/// thread of its own. These hold where that thread may run, as the kernel
/// reports it (`/proc/thread-self`): started away from its creator's CPU, then
/// free to run on any of the process's; and with one CPU, the same outputs.
@Suite("the background threads of lskel gen")
struct BackgroundTests {
    /// A `Cpus_allowed_list` value (`0-3,6`) as a set.
    static func parseCPUList(_ text: Substring) -> Set<Int> {
        var cpus = Set<Int>()
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            if bounds.count == 1 { cpus.insert(bounds[0]) }
            if bounds.count == 2, bounds[0] <= bounds[1] { cpus.formUnion(bounds[0]...bounds[1]) }
        }
        return cpus
    }

    /// The calling thread's allowed CPUs and the CPU it runs on.
    static func here() -> (allowed: Set<Int>, cpu: Int?) {
        let status = (try? String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
        let allowed = line.map { parseCPUList($0.dropFirst("Cpus_allowed_list:".count)) } ?? []
        // Field 39 of stat, counted after the command's closing parenthesis.
        let stat = (try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8)) ?? ""
        let fields = stat.split(separator: ")").last.map { $0.split(separator: " ") } ?? []
        return (allowed, fields.count > 36 ? Int(fields[36]) : nil)
    }

    /// What a thread started with `attributes` sees first.
    final class Seen: @unchecked Sendable { var value: (allowed: Set<Int>, cpu: Int?) = ([], nil) }

    static func firstSeen(with attributes: inout pthread_attr_t) throws -> (allowed: Set<Int>, cpu: Int?) {
        let seen = Seen()
        let context = Unmanaged.passRetained(seen).toOpaque()
        var thread = pthread_t()
        try #require(pthread_create(&thread, &attributes, { raw in
            guard let raw else { return nil }
            let seen = Unmanaged<Seen>.fromOpaque(raw).takeRetainedValue()
            seen.value = BackgroundTests.here()
            return nil
        }, context) == 0)
        pthread_join(thread, nil)
        return seen.value
    }

    /// The calling thread's CPUs if it may use two or more; else prints why `test` is skipped.
    static func severalCPUs(_ test: String) -> Set<Int>? {
        let allowed = here().allowed
        guard allowed.count >= 2 else {
            print("skipped: this test process may use one CPU (\(allowed)), so \(test)")
            return nil
        }
        return allowed
    }

    @Test("a thread started with the attribute runs first on another CPU than its creator's")
    func attributeLeavesOutCreator() throws {
        guard let allowed = Self.severalCPUs("there is no other to start on") else { return }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        #expect(lskel_thread_attr_other_cpus(&attributes) == 1)
        let seen = try Self.firstSeen(with: &attributes)
        #expect(seen.allowed.count == allowed.count - 1)
        #expect(seen.allowed.isSubset(of: allowed))
        let cpu = try #require(seen.cpu)
        #expect(seen.allowed.contains(cpu))
    }

    @Test("the background thread, once running, may use every CPU of the process")
    func thenAnywhere() throws {
        guard let allowed = Self.severalCPUs("the thread was never restricted") else { return }
        let value = Background { Self.here().allowed }
        #expect(value.join() == allowed)
    }

    @Test("lskel gen on one CPU writes what it writes on all of them", arguments: ["rt_fsslower", "rt_kconfig_probe"])
    func oneCPU(object: String) throws {
        let all = NSTemporaryDirectory() + "lskel-cpus-\(UUID().uuidString)"
        let one = NSTemporaryDirectory() + "lskel-cpu0-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: all); try? FileManager.default.removeItem(atPath: one) }
        let path = try Fixtures.object(object)
        #expect(try Fixtures.bytes(object).count >= GenRun.backgroundDigestBytes, "the fixture is hashed in the background")
        let wide = try Shell.run(CLI.path, ["gen", path, "--out-dir", all, "--host"])
        #expect(wide.status == 0, "\(wide.stderrText)")
        let cpu = try #require(Self.here().allowed.min())
        let narrow = try Shell.run("/usr/bin/taskset", ["-c", String(cpu), CLI.path, "gen", path, "--out-dir", one, "--host"])
        #expect(narrow.status == 0, "\(narrow.stderrText)")
        let wideFiles = try LeanGenTests.files(all), narrowFiles = try LeanGenTests.files(one)
        #expect(wideFiles.count == 4)
        #expect(wideFiles == narrowFiles)
    }
}
