import ArgumentParser
import Foundation

/// Exit codes: 0 ok, 1 an object was rejected, 2 usage error.
do {
    var command = try LskelCommand.parseAsRoot()
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let status = LskelCommand.exitCode(for: error)
    if status == .success {
        print(LskelCommand.fullMessage(for: error))
        exit(0)
    }
    FileHandle.standardError.write(Data((LskelCommand.fullMessage(for: error) + "\n").utf8))
    exit(2)
}
