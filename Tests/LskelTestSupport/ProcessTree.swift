import Foundation

/// A process and the processes descending from it, read from /proc: for tests of the
/// worker tree (the relay, the fork server and its jobs) and of lskeld above it.
public enum ProcessTree {
    /// `root` and the PIDs descending from it, while alive (zombies included), sorted.
    public static func members(_ root: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var parents: [Int32: Int32] = [:]
        for pid in entries.compactMap(Int32.init) {
            guard let fields = statFields(pid), fields.count > 2, let parent = Int32(fields[1]) else { continue }
            parents[pid] = parent
        }
        return parents.keys.filter { pid in
            var current: Int32? = pid
            while let step = current, step > 1 {
                if step == root { return true }
                current = parents[step]
            }
            return false
        }.sorted()
    }

    /// Whether `pid` has exited and not been reaped.
    public static func isZombie(_ pid: Int32) -> Bool {
        statFields(pid)?.first == "Z"
    }

    /// The tree under `root` once it has `count` processes, none of them a zombie, and is
    /// the same in two looks 50 ms apart (a job that has answered may still be exiting);
    /// `settled` is false, with the last look, when that did not happen within five seconds.
    public static func settled(_ root: Int32, count: Int) async throws -> (tree: [Int32], settled: Bool) {
        var previous: [Int32] = []
        for _ in 0..<100 {
            let tree = members(root)
            if tree.count == count, tree == previous, !tree.contains(where: isZombie) { return (tree, true) }
            previous = tree
            try await Task.sleep(for: .milliseconds(50))
        }
        return (previous, false)
    }

    /// The fields of /proc/PID/stat after the command name (state first, then the parent).
    static func statFields(_ pid: Int32) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }
}
