import CLskelSystem
#if canImport(Glibc)
import Glibc
#endif

/// A value computed on a thread of its own while the caller goes on, for the
/// work of `lskel gen` that does not depend on libbpf (SHA-256 of a 650 KB
/// object, inflating and hashing the host's kernel config): on two cores it
/// no longer adds to the run. When no thread can be started the value is
/// computed at once, on the caller's thread.
final class Background<Value>: @unchecked Sendable {
    /// Where the thread leaves the value: its own object, so the thread never
    /// refers to this one (which may be going away while it runs).
    private final class Slot: @unchecked Sendable {
        var value: Value?
    }

    /// The thread's stack.
    static var stackBytes: Int { 256 << 10 }

    private let slot = Slot()
    private var thread = pthread_t()
    private var running = false

    init(_ body: @escaping () -> Value) {
        let slot = slot
        // A small stack: the work is a digest or an inflate, and glibc maps, and at the
        // thread's end clears, the whole of a default 8 MiB one.
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, Self.stackBytes)
        // Started on another CPU: on two, Linux puts a new thread on its creator's, where it
        // waited until the join and the work ran after the creator's instead of beside it.
        // Once running, it may go anywhere the process may.
        let elsewhere = lskel_thread_attr_other_cpus(&attributes) == 1
        let run = ThreadBody {
            if elsewhere { lskel_thread_take_process_cpus() }
            slot.value = body()
        }
        let context = Unmanaged.passRetained(run).toOpaque()
        running = pthread_create(&thread, &attributes, { raw in
            guard let raw else { return nil }
            Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue().run()
            return nil
        }, context) == 0
        if !running {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            slot.value = body()
        }
    }

    /// The value, once the thread has ended.
    func join() -> Value {
        if running {
            pthread_join(thread, nil)
            running = false
        }
        // Set by the thread (or at once); every path above leaves it set.
        guard let value = slot.value else { preconditionFailure("background value missing") }
        return value
    }

    deinit {
        if running { pthread_join(thread, nil) }
    }
}

/// The closure a thread runs, passed to it as one retained reference.
private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
