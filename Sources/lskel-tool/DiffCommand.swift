import ArgumentParser
import Foundation
import LskelEngine

/// `lskel diff OBJECT...`: the installed bpftool's light skeleton beside
/// lskel's, per object.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare lskel's loader with the installed bpftool gen skeleton -L, object by object.",
        discussion: """
            bpftool reads this machine, so lskel starts from this machine's values too (as --host does); \
            profile flags override them. bpftool runs in a user namespace (unshare --user), where \
            /proc/kallsyms shows addresses as 0. Prints 'identical' or the first difference (a blob and \
            byte offset, or a header line) per object. Exit status: 0 all identical, 1 a difference, \
            2 bpftool is not installed.
            """
    )

    @Argument(help: "BPF ELF objects.")
    var objects: [String]

    @Option(name: .customLong("name"), help: "Skeleton name (one object only); default bpftool's rule on the file name.")
    var name: String?

    @OptionGroup var profileOptions: ProfileOptions

    func run() throws {
        guard let bpftool = BpftoolReference.locate() else {
            FileHandle.standardError.write(Data("lskel: bpftool is not installed (Debian: apt-get install bpftool)\n".utf8))
            throw ExitCode(2)
        }
        if name != nil && objects.count > 1 { throw ValidationError("--name names one skeleton; give one object with it") }
        var options = profileOptions
        options.host = true
        let profile = try options.profile()
        var differing = 0
        for path in objects {
            let label = (path as NSString).lastPathComponent
            let line = try compare(path, bpftool: bpftool, profile: profile)
            if line.differs { differing += 1 }
            print("\(label): \(line.text)")
        }
        if differing > 0 {
            print("\(differing) of \(objects.count) differ")
            throw ExitCode(1)
        }
    }

    func compare(_ path: String, bpftool: String, profile: TargetProfile) throws -> (text: String, differs: Bool) {
        guard let bytes = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        let reference = try BpftoolReference.generate(bpftool: bpftool, object: path, name: name)
        let ours: Result<GeneratedLoader, GenerationError>
        do {
            let skeletonName = try name.map(SkeletonName.validated) ?? SkeletonName.fromFileName(path)
            ours = .success(try LoaderGenerator.generate(object: [UInt8](bytes), name: skeletonName, profile: profile))
        } catch let error as GenerationError {
            ours = .failure(error)
        }
        let bpftoolFailure = reference.stderr.split(separator: "\n").last.map(String.init) ?? "no message"
        switch (ours, reference.status) {
        case (.success(let loader), 0):
            let note = reference.userNamespace ? "" : " (bpftool ran outside a user namespace: it saw this machine's kallsyms)"
            if let difference = SkeletonDifference.first(ours: loader, theirs: reference.header) {
                return ("\(difference)\(note)", true)
            }
            return ("identical", false)
        case (.failure(let error), 0):
            return ("bpftool generated a loader; lskel refused: \(error.detail) [\(error.kind.rawValue)]", true)
        case (.success, let status):
            return ("bpftool failed (exit \(status): \(bpftoolFailure)); lskel generated a loader", true)
        case (.failure(let error), let status):
            return ("both refuse (bpftool exit \(status): \(bpftoolFailure); lskel: \(error.kind.rawValue))", false)
        }
    }
}
