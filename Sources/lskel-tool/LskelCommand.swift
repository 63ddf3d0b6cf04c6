import ArgumentParser

struct LskelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lskel",
        abstract: "Turn compiled BPF objects into libbpf light-skeleton loaders.",
        discussion: "Exit status: 0 success, 1 an object was rejected (reason on stderr), 2 usage error, 3 server unavailable (submit).",
        subcommands: [GenCommand.self, DiffCommand.self, InspectCommand.self, SubmitCommand.self, TokenCommand.self, VerifyCommand.self, KeypairCommand.self]
    )
}
