import LskelModel

/// A strict reader of `lskel gen`'s arguments for the lean `lskel`, which starts
/// in a fraction of the full command-line tool's time. It takes the common form
/// only: objects and the output, name, format and profile options, as `--opt
/// VALUE` or `--opt=VALUE`, each single-valued option at most once. Anything else
/// (help, signing, an unknown option, a value that looks like an option or does
/// not parse, `--name` with several objects) is nil: the full tool, whose
/// argument parser defines the command, then handles the command line, errors
/// and help included. Tests hold the two to the same options and the same outputs.
public enum GenArguments {
    /// The options read here, by name (`--host` is the one flag).
    public static let optionNames = ["--out-dir", "--name", "--format", "--kernel-release", "--cpus", "--kconfig",
                                     "--max-entries", "--page-size", "--host"]

    public static func parse(_ arguments: [String]) -> GenSettings? {
        var settings = GenSettings(objects: [])
        // An array, not a Set: a Set<String> here costs a run-time conformance lookup (a scan of the
        // executable's conformance records) on every start.
        var seen: [String] = []
        var index = 0
        var positionalOnly = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if positionalOnly || !argument.hasPrefix("-") {
                settings.objects.append(argument)
                continue
            }
            if argument == "--" {
                positionalOnly = true
                continue
            }
            var option = argument, inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                option = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            if option == "--host" {
                guard inlineValue == nil, !settings.profile.host else { return nil }
                settings.profile.host = true
                continue
            }
            guard optionNames.contains(option) else { return nil }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index < arguments.count, !arguments[index].hasPrefix("-") else { return nil }
                value = arguments[index]
                index += 1
            }
            if option != "--max-entries" {
                guard !seen.contains(option) else { return nil }
                seen.append(option)
            }
            switch option {
            case "--out-dir": settings.outDir = value
            case "--name": settings.name = value
            case "--format":
                guard let format = GenFormat(rawValue: value) else { return nil }
                settings.format = format
            case "--kernel-release": settings.profile.kernelRelease = value
            case "--cpus":
                guard let cpus = Int(value) else { return nil }
                settings.profile.cpus = cpus
            case "--kconfig": settings.profile.kconfig = value
            case "--max-entries": settings.profile.maxEntries.append(value)
            case "--page-size":
                guard let pageSize = Int(value) else { return nil }
                settings.profile.pageSize = pageSize
            default: return nil
            }
        }
        guard !settings.objects.isEmpty else { return nil }
        if let name = settings.name {
            guard settings.objects.count == 1, (try? SkeletonName.validated(name)) != nil else { return nil }
        }
        return settings
    }
}
