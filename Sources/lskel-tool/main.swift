import ArgumentParser
import Foundation

/// Exit codes: 0 ok, 1 an object was rejected, 2 usage error, 3 server unavailable (submit).
/// Runs a command's async `run()` (an existential would pick the synchronous one).
func runAsync(_ command: some AsyncParsableCommand) async throws {
    var command = command
    try await command.run()
}

// Invoked as bpftool (a symlink) or as `lskel bpftool ...`: bpftool's command line.
if let bpftoolArguments = BpftoolFrontEnd.arguments(CommandLine.arguments) {
    exit(await BpftoolFrontEnd.run(bpftoolArguments))
}

do {
    var command = try LskelCommand.parseAsRoot()
    if let asyncCommand = command as? any AsyncParsableCommand {
        try await runAsync(asyncCommand)
    } else {
        try command.run()
    }
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
