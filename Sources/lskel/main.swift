#if canImport(Glibc)
import Glibc
#endif
import CLskelSystem
import LskelGen

/// lskel: `lskel gen OBJECTS [options]` runs here, in a small static
/// executable without Foundation or the argument parser (its whole run on a
/// small object is a few milliseconds, as bpftool's is); every other command,
/// `gen` with help, signing or anything this reader leaves out, and the
/// `bpftool` front end run in `lskel-tool` (FullTool.swift), the same command
/// line handed over. Exit codes: 0 ok, 1 an object was rejected, 2 usage error.
let arguments = CommandLine.arguments
let invokedAs = arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? ""
if invokedAs != "bpftool", arguments.count > 2, arguments[1] == "gen",
   let settings = GenArguments.parse(Array(arguments.dropFirst(2))),
   GenRun.canStart(settings) {
    // Before the host's kernel config is hashed on a thread of its own.
    lskel_crypto_init_digests_only()
    // The threads that hash and read the config allocate from the main heap (an
    // arena of their own was thirty page faults more), and freed memory is reused.
    lskel_malloc_short_process()
    if let (profile, hostConfig) = try? settings.profile.profileDeferringHostConfig() {
        do {
            let rejected = try GenRun.run(settings, profile: profile, hostConfig: hostConfig)
            // Whatever was printed goes out, then the process ends without the exit
            // handlers (libcrypto's cleanup freeing its tables, the runtime's): the
            // outputs are written and closed already.
            fflush(nil)
            _exit(rejected ? 1 : 0)
        } catch {
            // Only an output that could not be written, or a host kernel config that
            // is refused, gets here: the full tool runs the same command and reports
            // it as its own usage error.
        }
    }
}
FullTool.exec(arguments)
