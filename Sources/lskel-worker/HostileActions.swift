import CLskelSandbox
import LskelEngine

/// Test-only actions (with --allow-test-hostile): most try to break out of the
/// sandbox and are stopped there; a few report what a job may do or was asked
/// (`renice-self`, `exit-nice`). What happened is the answer.
func runHostileAction(_ action: String, lateExit: Bool?) -> String {
    phase("running the test action \(action)")
    var text = [CChar](repeating: 0, count: 512)
    switch action {
    case "read-passwd": _ = lskel_hostile_read_file("/etc/passwd", &text, text.count)
    case "socket": _ = lskel_hostile_socket(&text, text.count)
    case "bpf": _ = lskel_hostile_bpf(&text, text.count)
    case "fork": _ = lskel_hostile_fork(&text, text.count)
    case "exec": _ = lskel_hostile_exec(&text, text.count)
    case "kill-server": _ = lskel_hostile_kill_server(&text, text.count)
    case "starve-server": _ = lskel_hostile_limit_server(3, &text, text.count)
    case "end-server": _ = lskel_hostile_limit_server(0, &text, text.count)
    case "signal-owner": _ = lskel_hostile_signal_owner(&text, text.count)
    case "async-stdout": _ = lskel_hostile_async_stdout(&text, text.count)
    case "renice-server": _ = lskel_hostile_renice_server(&text, text.count)
    case "renice-self": _ = lskel_hostile_renice_self(19, &text, text.count)
    case "renice-self-less": _ = lskel_hostile_renice_self(10, &text, text.count)
    case "renice-group": _ = lskel_hostile_renice_group(&text, text.count)
    case "renice-user": _ = lskel_hostile_renice_user(&text, text.count)
    // What the pool asked of this job's exit (the answer's outcome).
    case "exit-nice": return lateExit == true ? "exit at nice 19" : "exit as run"
    case "pin-server": _ = lskel_hostile_pin_server(&text, text.count)
    case "peek-server": _ = lskel_hostile_peek_server(&text, text.count)
    case "change-request-memory": _ = lskel_hostile_change_request_memory(&text, text.count)
    case "request-memory-size": _ = lskel_test_request_memory_size(&text, text.count)
    case "alloc-4g":
        if lskel_hostile_alloc(4 << 30, &text, text.count) != 0 {
            fail("out of memory: " + String(cString: text), status: .outOfMemory)
        }
    case "spin": lskel_hostile_spin()
    case "flood-stdout":
        let block = [UInt8](repeating: 0x41, count: 1 << 20)
        for _ in 0..<1024 { writeAll(1, block) }
    case "segv": lskel_hostile_segv()
    default: fail("unknown test action \(action)", status: .unknownAction)
    }
    return String(cString: text)
}
