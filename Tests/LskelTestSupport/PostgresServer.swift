import Foundation

/// A real PostgreSQL server for one test: Debian's binaries
/// (`apt-get install postgresql`; `.ci/run` installs it), a fresh cluster in a
/// temporary folder with password authentication (md5 over TCP), on a free loopback port,
/// run as the `postgres` user when the tests run as root. It can be stopped
/// and started again on the same port and data.
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    public let directory: String
    public let password: String
    public static let user = "lskel"
    public static let database = "lskel"
    let bin: String

    /// Why a server cannot be started here, or nil when it can.
    public static let unavailable: String? = {
        guard ProcessInfo.processInfo.environment["LSKEL_POSTGRES_TESTS"] == "1" else {
            return "PostgreSQL tests run with LSKEL_POSTGRES_TESTS=1 (.ci/run runs them alone, after the other tests: starting clusters and replicas beside the timing tests starves them)"
        }
        guard binDirectory != nil else {
            return "PostgreSQL's server binaries are not installed (Debian: postgresql; .ci/run installs it)"
        }
        if getuid() == 0 && getpwnam("postgres") == nil {
            return "running as root without a postgres user to run the server as (Debian's postgresql package creates it)"
        }
        return nil
    }()

    public static var available: Bool { unavailable == nil }
    public static var skipReason: String { unavailable ?? "" }

    /// The newest `/usr/lib/postgresql/N/bin` with `initdb` and `pg_ctl`.
    static let binDirectory: String? = {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        return versions.map { "\(root)/\($0)/bin" }.first {
            FileManager.default.isExecutableFile(atPath: $0 + "/initdb") && FileManager.default.isExecutableFile(atPath: $0 + "/pg_ctl")
        }
    }()

    /// `postgres://lskel:PASSWORD@127.0.0.1:PORT/lskel`.
    public var url: String { "postgres://\(Self.user):\(password)@127.0.0.1:\(port)/\(Self.database)" }

    /// A new cluster, started, with an empty database `lskel` owned by `lskel`.
    public init() throws {
        guard let bin = Self.binDirectory else { throw Failure(Self.skipReason) }
        self.bin = bin
        port = try Self.freePort()
        password = "pw-" + UUID().uuidString.prefix(8).lowercased()
        directory = NSTemporaryDirectory() + "lskel-pg-\(UUID().uuidString)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let passwordFile = directory + "/password"
        try Data(password.utf8).write(to: URL(fileURLWithPath: passwordFile))
        if getuid() == 0, let account = getpwnam("postgres") {
            for path in [directory, passwordFile] { chown(path, account.pointee.pw_uid, account.pointee.pw_gid) }
        }
        try runAsServerUser(bin + "/initdb", ["-D", directory + "/data", "-U", Self.user, "--auth-local=scram-sha-256", "--auth-host=md5",
                                              "--pwfile=" + passwordFile, "-E", "UTF8", "--no-sync"])
        try start()
        // md5, not SCRAM, for the role lskeld logs in as: SCRAM's 4096 rounds of PBKDF2 in a
        // debug build of the client, on two cores busy with the other tests, can take longer
        // than a connection deadline. Password authentication is still what is tested.
        try sql("SET password_encryption = 'md5'; ALTER ROLE \(Self.user) PASSWORD '\(password)'", database: "postgres")
        try sql("CREATE DATABASE \(Self.database) OWNER \(Self.user)", database: "postgres")
    }

    /// A new server, made on a thread of its own: initdb and pg_ctl take seconds, and
    /// waiting for them on the cooperative pool would starve every other test's tasks.
    public static func make() async throws -> PostgresServer {
        try await onThread { try PostgresServer() }
    }

    /// ``sql(_:database:)``, ``stop(mode:)`` and ``start()`` off the cooperative pool.
    @discardableResult
    public func query(_ statement: String, database: String = PostgresServer.database) async throws -> String {
        try await Self.onThread { try self.sql(statement, database: database) }
    }

    public func halt(mode: String = "fast") async throws {
        try await Self.onThread { try self.stop(mode: mode) }
    }

    public func resume() async throws {
        try await Self.onThread { try self.start() }
    }

    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    deinit {
        // Without -w: pg_ctl signals the server and returns at once.
        _ = try? runAsServerUser(bin + "/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts the server (again) on its port and waits until it accepts connections.
    public func start() throws {
        let options = "-p \(port) -h 127.0.0.1 -k \(directory) -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try runAsServerUser(bin + "/pg_ctl", ["-D", directory + "/data", "-o", options, "-l", directory + "/server.log",
                                              "-w", "-t", "60", "start"])
    }

    /// Stops the server: `fast` closes every session, `immediate` is a crash.
    public func stop(mode: String = "fast") throws {
        try runAsServerUser(bin + "/pg_ctl", ["-D", directory + "/data", "-m", mode, "-w", "stop"])
    }

    /// Runs one statement with psql and returns its unaligned, tuples-only output.
    @discardableResult
    public func sql(_ statement: String, database: String = PostgresServer.database) throws -> String {
        guard let psql = Shell.which("psql", bin + "/psql") else { throw Failure("psql is not installed") }
        let result = try Shell.run("/usr/bin/env", ["PGPASSWORD=\(password)", psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                                                    "-h", "127.0.0.1", "-p", String(port), "-U", Self.user, "-d", database,
                                                    "-c", statement])
        guard result.status == 0 else { throw Failure("psql \(statement): \(result.stderrText)") }
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs a server tool as the `postgres` user (when root), its output to a
    /// file: `pg_ctl start` leaves the server running with the tool's
    /// descriptors, so pipes would never reach their end.
    func runAsServerUser(_ executable: String, _ arguments: [String]) throws {
        let command = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] + arguments : [executable] + arguments
        let output = directory + "/tool.log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o666)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw Failure("cannot start \(command[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let tool = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw Failure("\(executable) \(arguments.joined(separator: " ")) (status \(status)): \(tool)\n\(log.suffix(2000))")
        }
    }

    /// A loopback port nobody listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw Failure("bind: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }
}
